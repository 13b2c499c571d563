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

} // namespace

run_result run_rss(bench_context& ctx, const std::string& label) {
  const auto& o = ctx.options;
  return run_guarded(ctx, static_cast<std::uint64_t>(o.rss_pending), [&](run_result& result,
                                                                         steady::time_point deadline) {
    if (ctx.node_pid <= 0)
      throw std::runtime_error("rss reads the node's /proc entry and needs --spawn");
    const auto idle = read_memory(ctx.node_pid);
    result.extra("rss_mb_idle", idle.rss_mb);
    result.extra("hwm_mb_idle", idle.hwm_mb);

    const std::string payload =
        json_byte_array(payload_blob(static_cast<std::size_t>(o.rss_payload_bytes)));
    const int total = o.rss_pending;
    ctx.progress_line.begin(label + " create", result.expected);
    // Timed: from opening the connections to the last create's answer.
    auto created = create_executions(ctx, deadline, "create", o.rss_lane, payload, total,
                                     o.seed_concurrency, &result);

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

    result.completed = static_cast<std::uint64_t>(created.created);
    result.wall_ms = micros(created.start, created.last_done) / 1000.0;
    result.throughput =
        result.wall_ms > 0 ? static_cast<double>(created.created) / (result.wall_ms / 1000.0) : 0;
    result.latency_us = std::move(created.latency_us);
    result.extra("rss_mb_after_create", after_create.rss_mb);
    result.extra("rss_mb_after", after.rss_mb);
    result.extra("hwm_mb", after.hwm_mb);
    result.extra("rss_kb_per_pending",
                 total > 0 ? (after.rss_mb - idle.rss_mb) * 1024.0 / total : 0);
    result.extra("pending_executions", static_cast<double>(total));
    // The store's side, for scale: it holds the executions, the node should not.
    for (const auto& [name, pid] : ctx.processes)
      if (name == "redis") result.extra("redis_rss_mb_after", read_memory(pid).rss_mb);
  });
}

} // namespace ffbench
