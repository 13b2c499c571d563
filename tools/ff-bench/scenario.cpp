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
      // Registered so the CLI can name them; written in later issues.
      {"s2", "suspend_signal_resume", "ff-node", headline_kind::latency, "", "", true, nullptr},
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

namespace {

// utime + stime of a process in milliseconds, -1 when it cannot be read.
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

} // namespace

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

std::string payload_blob(std::size_t bytes) {
  // Fixed seed: every run and every system gets the same bytes.
  std::mt19937 rng(0x5eed);
  std::string blob(bytes, '\0');
  for (auto& c : blob) c = static_cast<char>(rng() & 0xff);
  return blob;
}

} // namespace ffbench
