#pragma once
// The scenario registry. A scenario is one function that performs a single
// run and returns its figures; the harness in main.cpp owns the protocol
// around it (calm pause, warm-up, runs alternating with the raw baseline,
// aggregation, reports). Adding S4 (flow chain) or S6 (cancel fan-out)
// means writing one run function and filling in its registry entry,
// nothing else.

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http_client.hpp"
#include "options.hpp"
#include "progress.hpp"
#include "report.hpp"

namespace ffbench {

struct redis_address {
  std::string host;
  int port = 0;
};

// Set by SIGINT/SIGTERM; every loop checks it and ends its run early.
extern std::atomic<bool> stop_requested;

struct bench_context {
  const bench_options& options;
  boost::asio::io_context& io;  // the one load-generator thread's context
  const http_target* node = nullptr;            // null when no node is reachable
  std::optional<redis_address> redis;           // the raw baseline's store
  progress& progress_line;
  // Processes whose CPU time each run reports (name, pid): ff-bench
  // itself, plus the node and the store when they were spawned.
  std::vector<std::pair<std::string, int>> processes;
  int node_pid = -1;  // the spawned ff-node, -1 without --spawn
};

// utime + stime of a process in milliseconds (all its threads), -1 when
// it cannot be read.
double process_cpu_ms(int pid);

// CPU time (user + system) the watched processes spend between begin()
// and end(); written into a run as cpu_ms_<name>. It shows which process
// a figure is bound by on a machine where all of them share two cores.
class cpu_meter {
public:
  void begin(const bench_context& ctx);
  void end(const bench_context& ctx, run_result& into) const;

private:
  std::vector<double> start_ms_;
};

struct scenario_def {
  std::string cli_name;     // --scenario value
  std::string report_name;  // `scenario` field and file name
  std::string system;       // `system` field and file name
  headline_kind kind = headline_kind::throughput;
  std::string what_is_timed;
  std::string notes;  // what the figure does and does not show
  bool needs_node = true;
  // Null for scenarios that are registered but not written yet.
  std::function<run_result(bench_context&, const std::string& label)> run;
  bool in_all = true;         // part of `--scenario all`
  bool with_baseline = true;  // alternate with the raw baseline (§7.1)
  // One measured run, no warm-up, whatever --runs and --warmup say: for
  // a one-off reading whose runs would not be independent.
  bool single_run = false;
  bool needs_spawn = false;   // reads the spawned node's /proc entry
};

// The frame every run function shares: the operations asked for, the
// --time-limit-s deadline, and an exception from `body` turned into a
// failed result (ending the progress line a phase may have left open).
run_result run_guarded(bench_context& ctx, std::uint64_t expected,
                       const std::function<void(run_result&, steady::time_point deadline)>& body);

// Every scenario, in the order `--scenario all` runs them; the raw
// baseline is the entry named "baseline".
const std::vector<scenario_def>& scenario_registry();
const scenario_def* find_scenario(const std::string& cli_name);

// Run functions, one per file.
run_result run_baseline(bench_context& ctx, const std::string& label);
run_result run_s1(bench_context& ctx, const std::string& label);
run_result run_dispatch(bench_context& ctx, const std::string& label);
run_result run_s2(bench_context& ctx, const std::string& label);
run_result run_rss(bench_context& ctx, const std::string& label);

// INFO server's redis_version, nullopt when the store cannot be asked.
std::optional<std::string> redis_version(const redis_address& a);

// The pseudo-random blob of `bytes` bytes every payload is made of.
std::string payload_blob(std::size_t bytes);

} // namespace ffbench
