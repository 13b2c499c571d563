#include "scenario.hpp"

#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

namespace ffbench {

std::atomic<bool> stop_requested{false};

const std::vector<scenario_def>& scenario_registry() {
  static const std::vector<scenario_def> registry{
      {"baseline", "baseline", "hiredis-baseline", headline_kind::throughput,
       "drain wall: from starting the workers (connect included) to the last INCR; seeding "
       "(RPUSH) excluded",
       "Raw Redis with no engine: RPUSH of the payloads, then workers on their own connections "
       "doing BLMPOP + INCR (benchmarks.md section 2). Latency is one BLMPOP+INCR pair. It is the "
       "ceiling any engine on this store and machine can approach, not a comparable system: no "
       "leases, retries, results, lanes or HTTP.",
       false, run_baseline},
      {"s1", "submit_claim_complete", "ff-node", headline_kind::throughput,
       "drain wall: from starting the workers (their connect inside the window) to the last "
       "successful complete; seeding over REST excluded (reported as submit_wall_ms)",
       "Executions created over REST with server-minted ids (random partitions), then workers "
       "looping acquire (long-poll) -> complete with the fence, each over its own keep-alive "
       "connection. Latency is the complete call only; acquire time is in the throughput, not in "
       "the latency. A parked long-poll acquire replaces the reference's 50 ms empty-poll, so no "
       "poll term is in the figure. All processes share one machine, so the figure mixes client, "
       "node and store CPU.",
       true, run_s1},
      {"dispatch", "dispatch_latency", "ff-node", headline_kind::latency,
       "per sample: from just before the create request is written until the response of a "
       "parked acquire carrying that execution's lease is read; samples run one at a time",
       "Push-dispatch latency with one worker already parked in a long-poll acquire: create -> "
       "lease in the worker's hands, measured on the client. It does not show behaviour under "
       "load or with many parked workers. throughput_ops_per_sec is derived as 1000 / p50 ms, "
       "not a concurrency measurement.",
       true, run_dispatch},
      {"s2", "suspend_signal_resume", "ff-node", headline_kind::latency,
       "per round trip: from just before the suspend request is written until the complete "
       "response is read; covers suspend, GET pending-waitpoints, signal, the re-claim (acquire "
       "until the same execution comes back resumed) and complete. Creating and acquiring the "
       "execution is untimed setup; round trips run one at a time",
       "Serial suspend -> signal -> resume (benchmarks.md section 3 scenario 2): one waitpoint, "
       "condition single with signal name bench_resume, timeout 60 s behaviour fail. The worker "
       "and the signaller use separate keep-alive connections. The pending-waitpoints listing "
       "carries no raw token (rest-api.md 2.4), so the signal uses the token of the suspend "
       "answer; the GET is still made and checked, as in the reference. The re-claim is an "
       "acquire with long-poll (--wait-ms) sent once the signal is answered; it replaces the "
       "reference's 1 ms spin poll, so no poll term is in the figure (reclaim_empty_acquires "
       "counts the acquires that found nothing). Per-step p50/p99/mean are run extras. "
       "throughput_ops_per_sec is derived as 1000 / p50 ms (resumes per second of one serial "
       "client), not a concurrency measurement. A run is one sample of --s2-roundtrips round "
       "trips; the headline is the median across runs of each run's percentile, not the "
       "reference's mean of samples.",
       true, run_s2},
      {"rss", "pending_rss", "ff-node", headline_kind::memory,
       "memory, not time: VmRSS of the spawned ff-node before and after creating --rss-pending "
       "executions (--seed-concurrency, 32, in flight) in a lane no worker serves, read --rss-settle-ms after the "
       "last create; VmHWM at the same moment. Throughput and latency are the create calls'",
       "Resident set of a node holding many pending (waiting, never claimed) executions; target "
       "RSS <= 100 MB with 100 000 pending. Needs --spawn: it reads /proc/<pid>/status of the "
       "node it started. One run per invocation and not part of --scenario all: the executions "
       "stay in the store (nothing acquires from their lane and cancelling them would take as "
       "long as creating them), so a second run would start from a loaded node; the private "
       "store is thrown away at exit. It shows the node's own memory only; the spawned redis-server's RSS is recorded as "
       "redis_rss_mb_after for scale.",
       true, run_rss, /*in_all=*/false, /*with_baseline=*/false, /*single_run=*/true,
       /*needs_spawn=*/true},
      // Registered so the CLI can name them; written in later issues.
      {"s4", "flow_dag_linear", "ff-node", headline_kind::throughput, "", "", true, nullptr},
      {"s6", "quorum_cancel_fanout", "ff-node", headline_kind::latency, "", "", true, nullptr},
  };
  return registry;
}

const scenario_def* find_scenario(const std::string& cli_name) {
  for (const auto& s : scenario_registry())
    if (s.cli_name == cli_name) return &s;
  return nullptr;
}

double process_cpu_ms(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  // The command name is in parentheses and may hold spaces: fields are
  // counted after the last ')'. utime and stime are fields 14 and 15.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void cpu_meter::begin(const bench_context& ctx) {
  start_ms_.clear();
  for (const auto& p : ctx.processes) start_ms_.push_back(process_cpu_ms(p.second));
}

void cpu_meter::end(const bench_context& ctx, run_result& into) const {
  for (std::size_t i = 0; i < ctx.processes.size() && i < start_ms_.size(); ++i) {
    double now = process_cpu_ms(ctx.processes[i].second);
    if (now >= 0 && start_ms_[i] >= 0) into.extra("cpu_ms_" + ctx.processes[i].first, now - start_ms_[i]);
  }
}

run_result run_guarded(bench_context& ctx, std::uint64_t expected,
                       const std::function<void(run_result&, steady::time_point deadline)>& body) {
  run_result result;
  result.expected = expected;
  const auto deadline = steady::now() + std::chrono::seconds(ctx.options.time_limit_s);
  try {
    body(result, deadline);
  } catch (const std::exception& e) {
    ctx.progress_line.end();
    result.ok = false;
    result.error = e.what();
  }
  return result;
}

std::string payload_blob(std::size_t bytes) {
  // Fixed seed: every run and every system gets the same bytes.
  std::mt19937 rng(0x5eed);
  std::string blob(bytes, '\0');
  for (auto& c : blob) c = static_cast<char>(rng() & 0xff);
  return blob;
}

} // namespace ffbench
