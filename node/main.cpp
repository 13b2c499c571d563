// ff-node: one runtime node. Reads the configuration, prepares the store,
// starts the actors and the HTTP front door, and shuts down cleanly on
// SIGINT/SIGTERM.

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "actors/runtime.hpp"
#include "backends/valkey/valkey_backend.hpp"
#include "config/config.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "node/dev_mode.hpp"

namespace {

constexpr int exit_boot_failure = 1;
constexpr int exit_backend_not_built = 2;
constexpr const char* initial_hmac_kid = "k1";

// Blocks SIGINT/SIGTERM in every thread (set before any thread starts) and
// waits for one in main.
sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Every client connection is a descriptor, and the usual soft limit (1024)
// is far below the usual hard one: take what the system allows before the
// default connection limit is derived from it.
void raise_descriptor_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == lim.rlim_max) return;
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim); // on failure the soft limit stays, and so does the default
}

int fail(const std::string& line) {
  std::fprintf(stderr, "ff-node: %s\n", line.c_str());
  return exit_boot_failure;
}

} // namespace

int main(int argc, char** argv) {
  raise_descriptor_limit();
  auto parsed = ff::parse_config_from_process(argc, argv);
  if (!parsed.output.empty()) std::cout << parsed.output << std::flush;
  if (parsed.exit_now) return 0;
  if (!parsed.config) {
    std::fprintf(stderr, "%s\n", parsed.error.c_str());
    return exit_boot_failure;
  }
  ff::node_config cfg = *parsed.config;
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  for (const auto& warning : parsed.warnings) spdlog::warn("{}", warning);

  if (cfg.print_config) {
    std::cout << ff::describe_config(cfg) << std::flush;
    return 0;
  }
  if (auto why = ff::check_security_defaults(cfg); !why.empty())
    return fail(why);
  if (cfg.backend != ff::backend_kind::valkey) {
    std::fprintf(stderr, "ff-node: this build serves FF_BACKEND=valkey only\n");
    return exit_backend_not_built;
  }

  // Refuse rather than silently talk plain TCP to one server.
  if (cfg.valkey_tls) return fail("FF_TLS is not supported by this build yet");
  if (cfg.valkey_cluster) return fail("FF_CLUSTER is not supported by this build yet");

  auto signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<ff::dev_redis> dev_store;
  if (cfg.dev_mode) {
    auto secret = ff::load_or_create_dev_secret(cfg.data_dir);
    if (!secret) return fail(secret.error().text());
    if (cfg.waitpoint_hmac_secret.empty()) cfg.waitpoint_hmac_secret = *secret;
    auto started = ff::dev_redis::start(cfg);
    if (!started) return fail(started.error().text());
    dev_store = std::move(*started);
    cfg.valkey_host = "127.0.0.1";
    cfg.valkey_port = dev_store->port();
    spdlog::info("dev mode: redis-server on 127.0.0.1:{} with data in {}", cfg.valkey_port,
                 cfg.data_dir);
  }

  ff::valkey_options store;
  store.host = cfg.valkey_host;
  store.port = cfg.valkey_port;
  store.command_timeout = std::chrono::milliseconds(cfg.store_command_timeout_ms);
  // The prober must notice a hung store well before a call's own timeout.
  ff::valkey_options probe = store;
  probe.connect_timeout = std::chrono::milliseconds(1000);
  probe.command_timeout = std::chrono::milliseconds(1000);

  // Boot-time preparation runs once, before any actor exists.
  std::vector<std::string> lanes_with_work;
  {
    auto backend = ff::make_valkey_backend(store);
    ff::backend_boot_options boot;
    boot.partitions = {cfg.flow_partitions, cfg.budget_partitions, cfg.quota_partitions};
    boot.lanes = cfg.lanes;
    boot.force_library_reload = cfg.force_lua_reload;
    auto report = backend->prepare(boot);
    if (!report) return fail("backend boot failed: " + report.error().text());
    // Every partition carries the waitpoint secret ring; the configured
    // secret is kid k1 until an operator rotates it.
    for (std::uint32_t p = 0; p < cfg.flow_partitions; ++p) {
      auto seeded = backend->seed_waitpoint_hmac_secret(static_cast<std::uint16_t>(p),
                                                        initial_hmac_kid, cfg.waitpoint_hmac_secret);
      if (!seeded) return fail("backend boot failed: waitpoint secret: " + seeded.error().text());
    }
    spdlog::info("store {} ready: server {}, library {}{}", backend->name(),
                 report->server_version, report->library_version,
                 report->library_loaded ? " (loaded)" : "");
    // Lanes outside FF_LANES that hold eligible work get their ready sets
    // rebuilt too, so a restart never strands their work.
    auto found = backend->lanes_with_eligible_work();
    if (!found) return fail("backend boot failed: listing lanes: " + found.error().text());
    lanes_with_work = std::move(*found);
  }

  ff::prometheus_metrics metrics;
  ff::actor_runtime runtime(
    cfg, [store] { return ff::make_valkey_backend(store); },
    [probe] { return ff::make_valkey_backend(probe); }, lanes_with_work, metrics);
  ff::http_server server(cfg, runtime.gateway(), metrics);
  if (auto started = server.start(); !started) return fail(started.error().text());
  if (cfg.api_token.empty())
    spdlog::warn("FF_API_TOKEN is not set: every route is open to anyone who can reach {}:{}",
                 cfg.listen_host, server.port());
  spdlog::info("ff-node listening on http://{}:{} ({} partitions, lanes: {})", cfg.listen_host,
               server.port(), cfg.flow_partitions, fmt::join(cfg.lanes, ","));

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {} received: shutting down", sig);
  runtime.begin_shutdown();
  server.stop(std::chrono::seconds(15));
  runtime.shutdown();
  if (dev_store) dev_store->stop();
  spdlog::info("ff-node stopped");
  return 0;
}
