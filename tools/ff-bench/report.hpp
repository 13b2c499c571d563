#pragma once
// Statistics (benchmarks.md §1.4), facts about the machine, and the
// outputs: one JSON file per scenario (§1.3) and a markdown table.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "options.hpp"

namespace ffbench {

// Nearest rank on sorted samples: index round((n - 1) * q).
double percentile_sorted(const std::vector<double>& sorted, double q);
double median(std::vector<double> v);
// (max - min) / median; 0 for fewer than two values.
double spread(const std::vector<double>& v);

struct latency_summary {
  std::size_t n = 0;
  double p50 = 0, p95 = 0, p99 = 0, max = 0, mean = 0;  // milliseconds
};
latency_summary summarize_us(std::vector<double> samples_us);

// What one run of one scenario produced.
struct run_result {
  bool ok = true;
  std::string error;
  std::uint64_t expected = 0;   // operations the run was asked for
  std::uint64_t completed = 0;  // operations that finished
  double wall_ms = 0;           // the timed window
  double throughput = 0;        // completed / timed window, ops/s
  std::vector<double> latency_us;
  std::vector<std::pair<std::string, double>> extras;  // scenario-specific figures
  double load_1m_before = 0;
  double load_1m_after = 0;
  bool warmup = false;

  void extra(std::string key, double value) { extras.emplace_back(std::move(key), value); }
  double extra_or(const std::string& key, double fallback) const;
};

struct host_info {
  std::string cpu;
  unsigned cores = 0;
  double mem_gb = 0;
};
host_info read_host_info();
std::array<double, 3> load_average();
std::string utc_timestamp();
// --git-sha, else `git rev-parse --short HEAD` in the current folder, else
// the commit ff-bench was configured at.
std::string resolve_git_sha(const std::string& flag);

// memory: the headline is the node's resident set (run extras rss_mb_*),
// with no baseline ratio.
enum class headline_kind { throughput, latency, memory };

// Everything a scenario report holds besides the per-run results.
struct scenario_report {
  std::string scenario;  // report name, e.g. submit_claim_complete
  std::string system;    // ff-node or hiredis-baseline
  headline_kind kind = headline_kind::throughput;
  std::string what_is_timed;
  std::string notes;
  std::vector<run_result> runs;  // warm-ups included, flagged
  // The raw baseline's runs measured next to this scenario (empty when
  // the baseline did not run).
  std::vector<run_result> baseline_runs;
};

// Headline aggregation over the successful measured (non-warm-up) runs.
struct aggregate {
  std::size_t measured = 0;  // successful measured runs: the figures come from these
  std::size_t failed = 0;    // measured runs that failed
  double throughput_median = 0;
  double throughput_spread = 0;
  latency_summary latency;  // per-run percentiles, median across runs
  double latency_p50_spread = 0;
  bool all_ok = true;
};
aggregate aggregate_runs(const std::vector<run_result>& runs);

struct report_context {
  const bench_options* options = nullptr;
  std::string git_sha;
  std::optional<std::string> valkey_version;
  host_info host;
  std::array<double, 3> load_start{};
  std::string command_line;
};

// Writes <out>/<scenario>-<system>-<sha>.json; returns the path.
std::string write_json_report(const report_context& ctx, const scenario_report& report);

// The short markdown table for stdout.
std::string markdown_table(const report_context& ctx, const std::vector<scenario_report>& reports);

// ratio of a scenario's headline to its baseline; nullopt without baseline.
std::optional<double> ratio_to_baseline(const scenario_report& report);

} // namespace ffbench
