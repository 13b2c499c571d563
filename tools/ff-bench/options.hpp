#pragma once
// Every knob of ff-bench. Each one is a command-line flag and is written
// into the `config` object of every report, so runs with different knobs
// are never mixed up.

#include <cstdint>
#include <string>
#include <vector>

namespace ffbench {

struct bench_options {
  // What to run and where.
  std::string scenario = "all";
  std::string target = "http://127.0.0.1:9090";
  std::string redis;  // host:port of the baseline's store; empty = no baseline
  bool spawn = false;
  std::string node_binary;   // default: ff-node next to ff-bench
  std::string redis_server;  // default: $FF_REDIS_SERVER, else redis-server on PATH
  std::vector<std::string> redis_args;  // appended to the spawned redis-server's arguments
  std::vector<std::string> node_env;    // KEY=VALUE for the spawned ff-node
  int pin_redis = -1;  // CPU for the spawned redis-server, -1 = not pinned
  int pin_node = -1;   // CPU for the spawned ff-node
  std::string token;   // bearer token for a node with FF_API_TOKEN
  std::string out_dir = "bench-results";
  std::string profile = "small";
  std::string git_sha;  // default: `git rev-parse --short HEAD`, else the configure-time commit

  // Measurement protocol (benchmarks.md §7.1).
  int runs = 5;
  int warmup = 1;
  int calm_ms = 2000;
  bool no_baseline = false;
  int time_limit_s = 300;  // per run, every phase included

  // Scenario 1 and the shared worker settings.
  std::string lane = "bench";
  int tasks = 5000;
  int workers = 4;
  int payload_bytes = 4096;
  int seed_concurrency = 32;
  // "reference": one create, acquire and complete request per task.
  // "extensions" (docs/api-extensions.md): creates in batches of
  // create_batch, and each complete carries a `next` that returns the
  // worker's next lease.
  std::string protocol = "reference";
  int create_batch = 1000;
  int lease_ttl_ms = 30000;
  int wait_ms = 1000;  // acquire long-poll of the S1 workers and of the S2 worker
  int priority = 100;

  // Dispatch latency.
  int dispatch_samples = 1000;
  int dispatch_wait_ms = 10000;
  int park_ms = 3;  // pause between sending the acquire and sending the create
  int dispatch_payload_bytes = 0;

  // Scenario 2: serial suspend -> signal -> resume round trips per run.
  int s2_roundtrips = 50;

  // Pending-execution RSS.
  int rss_pending = 100000;
  std::string rss_lane = "bench-rss";  // a lane no worker acquires from
  int rss_payload_bytes = 0;
  int rss_settle_ms = 2000;  // pause between the last create and the final reading

  // Raw baseline (benchmarks.md §2).
  int baseline_tasks = 10000;
  int baseline_workers = 4;
  int baseline_payload_bytes = 4096;
  int baseline_chunk = 1000;
  int baseline_block_s = 1;
  int baseline_nil_sleep_ms = 10;

  // Peers (peers.hpp): BullMQ and graphile-worker runners, alternating
  // with ff-node in the same invocation.
  std::vector<std::string> peers;  // bullmq, graphile; empty = no peer runs
  std::vector<std::string> peer_modes{"queued", "concurrent", "pickup"};
  std::string peer_dir;        // default: tools/peer-bench of the source tree
  std::string node_bin = "node";
  std::string pg_url;          // graphile's store without --spawn (loopback only)
  std::vector<std::string> pg_settings;  // NAME=VALUE for the spawned PostgreSQL
};

} // namespace ffbench
