#pragma once
// --peers bullmq[,graphile]: the same work done by other job queues, in the
// same invocation, alternating with ff-node (docs/BENCHMARKS.md, Peers).
// A peer run is one run of a Node.js runner from tools/peer-bench (a
// one-shot CLI printing one JSON object); ff-bench starts it, reads the
// store's CPU time at the start and end marks the runner prints, and turns
// its figures into a run_result. BullMQ uses the node's Redis; graphile-
// worker uses a private PostgreSQL (with --spawn) or --pg-url.
//
// Modes, the same for ff-node and every peer:
//   queued      all N tasks added first (untimed), then the workers start;
//               timed from starting the workers to the last completion
//               (ff-node: the s1 run).
//   concurrent  workers idle-waiting, then a producer adds N tasks with
//               --seed-concurrency adds in flight while they run; timed
//               from the first add to the last completion.
//   pickup      one task at a time added while the workers idle-wait; a
//               sample is the add call to the handler starting (ff-node: the
//               dispatch run, with --payload-bytes of payload).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scenario.hpp"

namespace ff::local {
class postgres_process;
}

namespace ffbench {

// Checks the --peers flags and that the runners are installed, before
// anything starts. Returns an error message for exit code 2, or "".
std::string check_peer_setup(const bench_options& o);

// The stores the peers use: the node's Redis (for BullMQ) and a private
// PostgreSQL started here under --spawn (for graphile-worker).
class peer_stores {
public:
  // Throws on a store that cannot be had.
  peer_stores(const bench_options& o, std::optional<redis_address> redis);
  ~peer_stores();
  peer_stores(const peer_stores&) = delete;
  peer_stores& operator=(const peer_stores&) = delete;

  std::optional<redis_address> redis;
  std::string pg_url;    // empty when graphile is not asked for
  int pg_pid = -1;       // the postmaster, -1 without --spawn
  std::string pg_version;
  void stop();

private:
  std::unique_ptr<ff::local::postgres_process> pg_;
};

// One mode's runs: ff-node's and each peer's, warm-ups flagged.
struct peer_mode_report {
  std::string mode;
  std::vector<std::string> systems;              // "ff-node", then the peers
  std::vector<std::vector<run_result>> runs;     // per system, in run order
  std::vector<std::string> versions;             // per system, "" for ff-node
};

// Runs every --peer-modes mode: per mode one warm-up round, --runs rounds
// (each peer, then ff-node) and a last round of the peers, so ff-node has
// peer runs on both sides. `ctx` is the harness context (ff-node, its
// store, the watched processes).
std::vector<peer_mode_report> run_peer_comparison(bench_context& ctx, const peer_stores& stores);

// ff-node's concurrent mode (peers_ff.cpp).
run_result run_ff_concurrent(bench_context& ctx, const std::string& label);

// peers-<sha>.json in --out; returns its path.
std::string write_peer_report(const report_context& rctx, const peer_stores& stores,
                              const std::vector<peer_mode_report>& modes);
// The markdown table printed after the scenarios' one.
std::string peer_markdown(const report_context& rctx, const std::vector<peer_mode_report>& modes);

// A figure of a system in one mode (median across successful measured
// runs) and ff-node's ratio to a peer, shared by the JSON and markdown.
struct peer_figures {
  std::size_t measured = 0, failed = 0;
  double throughput = 0, throughput_min = 0, throughput_max = 0, throughput_spread = 0;
  double p50_ms = 0, p99_ms = 0, p50_min = 0, p50_max = 0, p50_spread = 0;
  // CPU ms per task, medians: the store, the worker side (ff-node: the
  // node; a peer: its worker process) and the producer side (ff-node: the
  // ff-bench client, producer and workers; a peer: its producer process).
  std::optional<double> cpu_store, cpu_worker, cpu_producer;
};
peer_figures figures_of(const std::vector<run_result>& runs);

} // namespace ffbench
