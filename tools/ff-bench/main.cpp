// ff-bench: the load generator of docs/BENCHMARKS.md. It drives a node over
// its REST API from one asynchronous thread and compares every figure with
// the raw-Redis baseline measured in the same invocation (benchmarks.md
// §7.1: one warm-up, then runs alternating baseline and system, the
// baseline also last; medians and spread).

#include <CLI/CLI.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "peers.hpp"
#include "scenario.hpp"
#include "spawn.hpp"

namespace ffbench {

namespace {

void on_signal(int) {
  // A second Ctrl-C means "now": the children die with us (PDEATHSIG).
  if (stop_requested.exchange(true)) _exit(130);
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789-_./:=,@+") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  return out + "'";
}

std::vector<std::string> split_words(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::istringstream in(v);
    for (std::string w; in >> w;) out.push_back(w);
  }
  return out;
}

void calm(int ms) {
  auto until = steady::now() + std::chrono::milliseconds(ms);
  while (steady::now() < until && !stop_requested)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

std::string scenario_help() {
  std::string in_all;
  for (const auto& d : scenario_registry())
    if (d.run && d.in_all) in_all += (in_all.empty() ? "" : ", ") + d.cli_name;
  std::string s = "Scenario: all (" + in_all + "), or one of:";
  for (const auto& d : scenario_registry()) {
    s += " " + d.cli_name;
    if (!d.run) s += " (not implemented yet)";
    else if (d.needs_spawn) s += " (needs --spawn)";
  }
  return s + "; peers: only the --peers comparison";
}

struct harness {
  const bench_options& o;
  bench_context& ctx;

  run_result run(const scenario_def& def, const std::string& label, bool warmup) {
    calm(o.calm_ms);
    auto before = load_average()[0];
    auto r = def.run(ctx, label);
    r.warmup = warmup;
    r.load_1m_before = before;
    r.load_1m_after = load_average()[0];
    if (!r.ok) std::fprintf(stderr, "%s failed: %s\n", label.c_str(), r.error.c_str());
    return r;
  }
};

scenario_report empty_report(const scenario_def& def) {
  scenario_report r;
  r.scenario = def.report_name;
  r.system = def.system;
  r.kind = def.kind;
  r.what_is_timed = def.what_is_timed;
  r.notes = def.notes;
  return r;
}

int run_main(int argc, char** argv) {
  bench_options o;
  CLI::App app{"ff-bench: benchmarks of ff-node over its REST API against a raw-Redis baseline "
               "(docs/BENCHMARKS.md)"};
  app.option_defaults()->always_capture_default();
  app.add_option("--scenario", o.scenario, scenario_help());
  auto* target = app.add_option("--target", o.target, "URL of a running node (loopback only)");
  auto* redis = app.add_option("--redis", o.redis,
                               "host:port of the node's store, for the raw baseline (loopback "
                               "only); without it and without --spawn the baseline is skipped");
  app.add_flag("--spawn", o.spawn,
               "start a private redis-server and ff-node on free loopback ports, stop them after")
      ->excludes(target)
      ->excludes(redis);
  app.add_option("--node-binary", o.node_binary, "ff-node for --spawn (default: next to ff-bench)");
  app.add_option("--redis-server", o.redis_server,
                 "redis-server for --spawn (default: $FF_REDIS_SERVER, else PATH)");
  app.add_option("--redis-arg", o.redis_args,
                 "extra redis-server arguments for --spawn, e.g. --redis-arg='--appendonly yes'")
      ->take_all();
  app.add_option("--node-env", o.node_env, "KEY=VALUE for the spawned ff-node (repeatable)")
      ->take_all();
  app.add_option("--pin-redis", o.pin_redis, "CPU to pin the spawned redis-server to (-1: none)");
  app.add_option("--pin-node", o.pin_node, "CPU to pin the spawned ff-node to (-1: none)");
  app.add_option("--token", o.token, "bearer token for a node with FF_API_TOKEN");
  app.add_option("--out", o.out_dir, "folder for the JSON reports");
  app.add_option("--profile", o.profile, "profile label written into the reports");
  app.add_option("--git-sha", o.git_sha, "commit to report (default: git rev-parse --short HEAD)");
  app.add_option("--runs", o.runs, "measured runs per scenario")->check(CLI::PositiveNumber);
  app.add_option("--warmup", o.warmup, "discarded warm-up runs")->check(CLI::NonNegativeNumber);
  app.add_option("--calm-ms", o.calm_ms, "pause before every run")->check(CLI::NonNegativeNumber);
  app.add_flag("--no-baseline", o.no_baseline, "skip the raw baseline (no ratios)");
  app.add_option("--time-limit-s", o.time_limit_s, "time limit of one run")
      ->check(CLI::Range(1, 3600));
  app.add_option("--lane", o.lane, "lane the tasks go to (with --spawn it is the node's FF_LANES)");
  app.add_option("--tasks", o.tasks, "s1: executions per run")->check(CLI::Range(1, 1'000'000));
  app.add_option("--workers", o.workers, "s1: workers, one connection each")
      ->check(CLI::Range(1, 1000));
  app.add_option("--payload-bytes", o.payload_bytes, "s1: input payload size")
      ->check(CLI::Range(0, 200'000));
  app.add_option("--seed-concurrency", o.seed_concurrency, "s1: creates in flight while seeding")
      ->check(CLI::Range(1, 1000));
  app.add_option("--protocol", o.protocol,
                 "s1: reference (create, acquire, complete per task) or extensions (batch "
                 "create, complete with next)")
      ->check(CLI::IsMember({"reference", "extensions"}));
  app.add_option("--create-batch", o.create_batch, "s1 with --protocol extensions: creates per batch")
      ->check(CLI::Range(1, 1000));
  app.add_option("--lease-ttl-ms", o.lease_ttl_ms, "lease TTL asked by the workers")
      ->check(CLI::Range(1000, 3'600'000));
  app.add_option("--wait-ms", o.wait_ms, "s1, s2: acquire long-poll")
      ->check(CLI::Range(0, 30000));
  app.add_option("--priority", o.priority, "priority of the created executions")
      ->check(CLI::Range(0, 9000));
  app.add_option("--dispatch-samples", o.dispatch_samples, "dispatch: samples per run")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--dispatch-wait-ms", o.dispatch_wait_ms, "dispatch: the parked acquire's wait_ms")
      ->check(CLI::Range(100, 30000));
  app.add_option("--park-ms", o.park_ms,
                 "dispatch: pause between writing the acquire and writing the create")
      ->check(CLI::Range(0, 10000));
  app.add_option("--dispatch-payload-bytes", o.dispatch_payload_bytes, "dispatch: payload size")
      ->check(CLI::Range(0, 200'000));
  app.add_option("--s2-roundtrips", o.s2_roundtrips,
                 "s2: serial suspend -> signal -> resume round trips per run")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--rss-pending", o.rss_pending, "rss: executions created before the reading")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--rss-lane", o.rss_lane, "rss: lane of those executions (no worker serves it)");
  app.add_option("--rss-payload-bytes", o.rss_payload_bytes, "rss: payload size")
      ->check(CLI::Range(0, 200'000));
  app.add_option("--rss-settle-ms", o.rss_settle_ms,
                 "rss: pause between the last create and the final reading")
      ->check(CLI::Range(0, 600'000));
  app.add_option("--baseline-tasks", o.baseline_tasks, "baseline: values per run")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--baseline-workers", o.baseline_workers, "baseline: workers (threads)")
      ->check(CLI::Range(1, 256));
  app.add_option("--baseline-payload-bytes", o.baseline_payload_bytes, "baseline: value size")
      ->check(CLI::Range(0, 1'000'000));
  app.add_option("--baseline-chunk", o.baseline_chunk, "baseline: values per RPUSH")
      ->check(CLI::Range(1, 100'000));
  app.add_option("--baseline-block-s", o.baseline_block_s, "baseline: BLMPOP block time")
      ->check(CLI::Range(1, 60));
  app.add_option("--baseline-nil-sleep-ms", o.baseline_nil_sleep_ms,
                 "baseline: sleep after an empty BLMPOP")
      ->check(CLI::Range(0, 10000));
  app.add_option("--peers", o.peers,
                 "compare with other job queues in the same invocation: bullmq, graphile "
                 "(comma-separated; runners in tools/peer-bench, installed with npm ci)")
      ->delimiter(',');
  app.add_option("--peer-modes", o.peer_modes, "peers: queued, concurrent, pickup (comma-separated)")
      ->delimiter(',');
  app.add_option("--peer-dir", o.peer_dir, "peers: the runners' folder (default: tools/peer-bench)");
  app.add_option("--node-bin", o.node_bin, "peers: the Node.js executable");
  app.add_option("--pg-url", o.pg_url,
                 "peers: graphile's PostgreSQL without --spawn, postgres://user@127.0.0.1:5432/db");
  app.add_option("--pg-setting", o.pg_settings,
                 "peers: NAME=VALUE for the spawned PostgreSQL (repeatable), e.g. "
                 "--pg-setting synchronous_commit=on");
  CLI11_PARSE(app, argc, argv);
  o.redis_args = split_words(o.redis_args);
  if (auto why = check_peer_setup(o); !why.empty()) {
    std::fprintf(stderr, "ff-bench: %s\n", why.c_str());
    return 2;
  }
  const bool peers_only = o.scenario == "peers";
  if (peers_only && o.peers.empty()) {
    std::fprintf(stderr, "ff-bench: --scenario peers needs --peers bullmq[,graphile]\n");
    return 2;
  }
  const bool need_node = !o.peers.empty();

  // What to run.
  std::vector<const scenario_def*> systems;  // scenarios other than the baseline
  bool baseline_only = o.scenario == "baseline";
  if (o.scenario == "all") {
    for (const auto& d : scenario_registry())
      if (d.run && d.in_all && d.cli_name != "baseline") systems.push_back(&d);
  } else if (!baseline_only && !peers_only) {
    const auto* d = find_scenario(o.scenario);
    if (!d) {
      std::fprintf(stderr, "unknown scenario '%s'. %s\n", o.scenario.c_str(),
                   scenario_help().c_str());
      return 2;
    }
    if (!d->run) {
      std::fprintf(stderr, "scenario %s (%s) is not implemented yet\n", d->cli_name.c_str(),
                   d->report_name.c_str());
      return 2;
    }
    if (d->needs_spawn && !o.spawn) {
      std::fprintf(stderr,
                   "scenario %s (%s) reads the node's memory from /proc and needs --spawn\n",
                   d->cli_name.c_str(), d->report_name.c_str());
      return 2;
    }
    systems.push_back(d);
  }

  install_signal_handlers();
  report_context rctx;
  rctx.options = &o;
  rctx.load_start = load_average();
  rctx.host = read_host_info();
  rctx.git_sha = resolve_git_sha(o.git_sha);
  for (int i = 0; i < argc; ++i) rctx.command_line += (i ? " " : "") + shell_quote(argv[i]);

  std::unique_ptr<spawned_stack> stack;
  std::unique_ptr<peer_stores> peer_store;
  http_target node;
  std::optional<redis_address> store;
  try {
    if (o.spawn) {
      std::fprintf(stderr, "starting a private redis-server and ff-node...\n");
      stack = std::make_unique<spawned_stack>(o);
      node = parse_http_target("http://127.0.0.1:" + std::to_string(stack->node_port()), o.token);
      store = redis_address{"127.0.0.1", stack->redis_port()};
    } else {
      if (!systems.empty() || need_node) node = parse_http_target(o.target, o.token);
      if (!o.redis.empty()) {
        auto ep = resolve_loopback(o.redis, "6379");
        store = redis_address{ep.address().to_string(), ep.port()};
      }
    }
    if (!o.peers.empty()) peer_store = std::make_unique<peer_stores>(o, store);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ff-bench: %s\n", e.what());
    return 2;
  }
  if (store) rctx.valkey_version = redis_version(*store);
  if (o.no_baseline && !baseline_only) store.reset();
  if (baseline_only && !store) {
    std::fprintf(stderr, "ff-bench: the baseline needs --redis host:port or --spawn\n");
    return 2;
  }
  if ((!systems.empty() || need_node) &&
      sync_get_status(node, "/healthz", std::chrono::milliseconds(2000)) != 200) {
    std::fprintf(stderr, "ff-bench: no healthy node at %s (GET /healthz)\n",
                 o.spawn ? "the spawned node" : o.target.c_str());
    return 2;
  }
  if (!store && !systems.empty())
    std::fprintf(stderr, "no --redis given: the raw baseline is skipped, no ratios\n");

  boost::asio::io_context io;
  progress line;
  bench_context ctx{o, io, systems.empty() && !need_node ? nullptr : &node, store, line, {}};
  ctx.processes.emplace_back("ff_bench", static_cast<int>(getpid()));
  if (stack) {
    ctx.processes.emplace_back("ff_node", static_cast<int>(stack->node_pid()));
    ctx.processes.emplace_back("redis", static_cast<int>(stack->redis_pid()));
    ctx.node_pid = static_cast<int>(stack->node_pid());
  }
  harness h{o, ctx};
  const auto* baseline_def = find_scenario("baseline");
  scenario_report baseline_report = empty_report(*baseline_def);
  std::vector<scenario_report> reports;

  auto run_baseline_into = [&](scenario_report* rep, const std::string& label, bool warmup) {
    auto r = h.run(*baseline_def, label, warmup);
    baseline_report.runs.push_back(r);
    if (rep) rep->baseline_runs.push_back(std::move(r));
  };

  if (baseline_only) {
    for (int w = 0; w < o.warmup && !stop_requested; ++w)
      run_baseline_into(nullptr, "baseline warm-up", true);
    for (int i = 1; i <= o.runs && !stop_requested; ++i)
      run_baseline_into(nullptr, "baseline run " + std::to_string(i) + "/" + std::to_string(o.runs),
                        false);
  }
  for (const auto* def : systems) {
    auto rep = empty_report(*def);
    const bool with_baseline = store.has_value() && def->with_baseline;
    const int warmups = def->single_run ? 0 : o.warmup;
    const int runs = def->single_run ? 1 : o.runs;
    bool failed = false;
    auto step = [&](const std::string& tag, bool warmup) {
      if (stop_requested || failed) return;
      if (with_baseline) run_baseline_into(&rep, "baseline (" + def->cli_name + " " + tag + ")", warmup);
      if (stop_requested) return;
      rep.runs.push_back(h.run(*def, def->cli_name + " " + tag, warmup));
      // A broken system fails every run the same way: stop early.
      failed = !rep.runs.back().ok;
    };
    for (int w = 0; w < warmups; ++w) step("warm-up", true);
    for (int i = 1; i <= runs; ++i)
      step("run " + std::to_string(i) + "/" + std::to_string(runs), false);
    // The baseline after the system too, so drift shows in its spread.
    if (with_baseline && !stop_requested && !failed)
      run_baseline_into(&rep, "baseline (" + def->cli_name + " after)", false);
    reports.push_back(std::move(rep));
  }
  if (!baseline_report.runs.empty()) reports.insert(reports.begin(), baseline_report);
  std::vector<peer_mode_report> peer_reports;
  if (peer_store && !stop_requested) peer_reports = run_peer_comparison(ctx, *peer_store);

  if (peer_store) peer_store->stop();
  if (stack) stack->stop();

  bool all_ok = !stop_requested;
  for (const auto& rep : reports) {
    auto agg = aggregate_runs(rep.runs);
    if (!agg.all_ok || agg.measured == 0) all_ok = false;
    try {
      auto path = write_json_report(rctx, rep);
      std::fprintf(stderr, "wrote %s\n", path.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ff-bench: %s\n", e.what());
      all_ok = false;
    }
  }
  if (!peer_reports.empty()) {
    for (const auto& m : peer_reports)
      for (const auto& runs : m.runs) {
        auto f = figures_of(runs);
        if (f.failed || f.measured == 0) all_ok = false;
      }
    try {
      auto path = write_peer_report(rctx, *peer_store, peer_reports);
      std::fprintf(stderr, "wrote %s\n", path.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ff-bench: %s\n", e.what());
      all_ok = false;
    }
  }
  if (!reports.empty()) std::cout << markdown_table(rctx, reports);
  if (!peer_reports.empty()) std::cout << peer_markdown(rctx, peer_reports);
  std::cout << std::flush;
  if (stop_requested) return 130;
  return all_ok ? 0 : 1;
}

} // namespace

} // namespace ffbench

int main(int argc, char** argv) {
  try {
    return ffbench::run_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ff-bench: %s\n", e.what());
    return 1;
  }
}
