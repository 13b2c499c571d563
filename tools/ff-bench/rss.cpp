// Pending-execution RSS: the resident set of the spawned ff-node when idle,
// then after --rss-pending executions were created in a lane no worker
// acquires from. A memory reading, not a timing: the create calls' rate and
// latency are reported alongside, but the figure is VmRSS.

#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ff_api.hpp"

namespace ffbench {

namespace http = boost::beast::http;

namespace {

const auto request_timeout = std::chrono::milliseconds(30000);

struct memory_reading {
  double rss_mb = -1;
  double hwm_mb = -1;
};

// VmRSS and VmHWM of a process from /proc/<pid>/status (given in kB).
memory_reading read_memory(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/status");
  memory_reading m;
  for (std::string line; std::getline(in, line);) {
    auto value_mb = [&line] { return std::stod(line.substr(line.find(':') + 1)) / 1024.0; };
    if (line.rfind("VmRSS:", 0) == 0) m.rss_mb = value_mb();
    else if (line.rfind("VmHWM:", 0) == 0) m.hwm_mb = value_mb();
  }
  if (m.rss_mb < 0 || m.hwm_mb < 0)
    throw std::runtime_error("no VmRSS/VmHWM in /proc/" + std::to_string(pid) + "/status");
  return m;
}

struct create_state {
  std::vector<std::shared_ptr<http_connection>> conns;
  std::vector<double> latency_us;
  int sent = 0;
  int created = 0;
  int open = 0;
  steady::time_point last_done{};
};

} // namespace

run_result run_rss(bench_context& ctx, const std::string& label) {
  const auto& o = ctx.options;
  run_result result;
  result.expected = static_cast<std::uint64_t>(o.rss_pending);
  const auto deadline = steady::now() + std::chrono::seconds(o.time_limit_s);
  try {
    if (ctx.node_pid <= 0)
      throw std::runtime_error("rss reads the node's /proc entry and needs --spawn");
    const auto idle = read_memory(ctx.node_pid);
    result.extra("rss_mb_idle", idle.rss_mb);
    result.extra("hwm_mb_idle", idle.hwm_mb);

    const std::string payload =
        json_byte_array(payload_blob(static_cast<std::size_t>(o.rss_payload_bytes)));
    const int total = o.rss_pending;
    auto s = std::make_shared<create_state>();
    s->latency_us.reserve(static_cast<std::size_t>(total));
    phase ph(ctx, deadline, [s] {
      for (auto& c : s->conns) c->close();
    });
    ctx.progress_line.begin(label + " create", result.expected);

    std::function<void(std::shared_ptr<http_connection>)> next =
        [&](std::shared_ptr<http_connection> conn) {
          if (!ph.running() || s->sent >= total) {
            if (--s->open == 0) ph.finish();
            return;
          }
          ++s->sent;
          conn->send(http::verb::post, "/v1/executions", create_body(o, o.rss_lane, payload),
                     request_timeout, [&, conn](http_reply& r) {
                       if (r.ec || r.status != 201 || !parse_created_id(r.body)) {
                         ph.fail(describe_failure("create", r));
                       } else {
                         ++s->created;
                         s->latency_us.push_back(micros(r.sent, r.done));
                         s->last_done = r.done;
                         ctx.progress_line.add();
                       }
                       next(conn);
                     });
        };

    cpu_meter cpu;
    cpu.begin(ctx);
    // Timed: from opening the connections to the last create's answer.
    auto start = steady::now();
    ph.start();
    for (int i = 0; i < std::max(1, std::min(o.seed_concurrency, total)); ++i) {
      s->conns.push_back(std::make_shared<http_connection>(ctx.io, *ctx.node));
      ++s->open;
    }
    for (auto& c : s->conns) next(c);
    ctx.io.restart();
    ctx.io.run();
    cpu.end(ctx, result);
    ctx.progress_line.end();
    if (ph.failed()) throw std::runtime_error("create: " + ph.error());
    if (s->created != total)
      throw std::runtime_error("created " + std::to_string(s->created) + " of " +
                               std::to_string(total));

    const auto after_create = read_memory(ctx.node_pid);
    // Let the node release request buffers and run a scanner pass or two
    // over the new executions before the reading that counts.
    if (o.rss_settle_ms >= 5000)
      std::fprintf(stderr, "%s: waiting %d ms before the reading (--rss-settle-ms)\n",
                   label.c_str(), o.rss_settle_ms);
    auto settle_until = steady::now() + std::chrono::milliseconds(o.rss_settle_ms);
    while (steady::now() < settle_until && !stop_requested)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto after = read_memory(ctx.node_pid);

    result.completed = static_cast<std::uint64_t>(s->created);
    result.wall_ms = micros(start, s->last_done) / 1000.0;
    result.throughput =
        result.wall_ms > 0 ? static_cast<double>(s->created) / (result.wall_ms / 1000.0) : 0;
    result.latency_us = std::move(s->latency_us);
    result.extra("rss_mb_after_create", after_create.rss_mb);
    result.extra("rss_mb_after", after.rss_mb);
    result.extra("hwm_mb", after.hwm_mb);
    result.extra("rss_kb_per_pending",
                 total > 0 ? (after.rss_mb - idle.rss_mb) * 1024.0 / total : 0);
    result.extra("pending_executions", static_cast<double>(total));
    // The store's side, for scale: it holds the executions, the node should not.
    for (const auto& [name, pid] : ctx.processes)
      if (name == "redis") result.extra("redis_rss_mb_after", read_memory(pid).rss_mb);
  } catch (const std::exception& e) {
    ctx.progress_line.end();
    result.ok = false;
    result.error = e.what();
  }
  return result;
}

} // namespace ffbench
