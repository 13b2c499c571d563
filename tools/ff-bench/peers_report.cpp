// The peer comparison's outputs: peers-<sha>.json and a markdown table.

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "peers.hpp"

namespace ffbench {

namespace {

using writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void str(writer& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}
void num(writer& w, const char* k, double v) {
  w.Key(k);
  if (std::isfinite(v)) w.Double(std::round(v * 1000.0) / 1000.0);
  else w.Null();
}
// Per-task CPU figures are small: more decimals.
void fine(writer& w, const char* k, std::optional<double> v) {
  w.Key(k);
  if (v && std::isfinite(*v)) w.Double(std::round(*v * 1e6) / 1e6);
  else w.Null();
}
void integer(writer& w, const char* k, std::int64_t v) {
  w.Key(k);
  w.Int64(v);
}
void strings(writer& w, const char* k, const std::vector<std::string>& v) {
  w.Key(k);
  w.StartArray();
  for (const auto& s : v) w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
}

bool is_latency(const std::string& mode) { return mode == "pickup"; }

const char* timed_of(const std::string& mode) {
  if (mode == "queued")
    return "all tasks added first (untimed); from starting the workers (their connects inside the "
           "window) to the last completion. ff-node: the s1 run";
  if (mode == "concurrent")
    return "workers idle-waiting first; from just before the first add to the last completion, "
           "the producer adding with --seed-concurrency adds in flight while the workers run";
  return "per sample: from just before the add call to the handler starting (ff-node: the "
         "acquire's response carrying the lease read); one task at a time, workers idle-waiting, "
         "--park-ms between samples. ff-node: the dispatch run with --payload-bytes";
}

// ff-node ÷ peer: throughput for throughput modes, p50 and p99 latency for
// pickup. Below 1 in pickup means ff-node is faster.
struct ratios {
  std::optional<double> throughput, p50, p99;
};
ratios ratio(const peer_figures& ff, const peer_figures& peer, const std::string& mode) {
  ratios r;
  if (ff.measured == 0 || peer.measured == 0) return r;
  if (is_latency(mode)) {
    if (peer.p50_ms > 0) r.p50 = ff.p50_ms / peer.p50_ms;
    if (peer.p99_ms > 0) r.p99 = ff.p99_ms / peer.p99_ms;
  } else if (peer.throughput > 0) {
    r.throughput = ff.throughput / peer.throughput;
  }
  return r;
}

void write_run(writer& w, const run_result& r) {
  w.StartObject();
  w.Key("warmup");
  w.Bool(r.warmup);
  w.Key("ok");
  w.Bool(r.ok);
  if (!r.ok) str(w, "error", r.error);
  integer(w, "expected", static_cast<std::int64_t>(r.expected));
  integer(w, "completed", static_cast<std::int64_t>(r.completed));
  num(w, "wall_ms", r.wall_ms);
  num(w, "throughput_ops_per_sec", r.throughput);
  auto s = summarize_us(r.latency_us);
  w.Key("latency_ms");
  w.StartObject();
  num(w, "p50", s.p50);
  num(w, "p95", s.p95);
  num(w, "p99", s.p99);
  num(w, "max", s.max);
  num(w, "mean", s.mean);
  integer(w, "samples", static_cast<std::int64_t>(s.n));
  w.EndObject();
  for (const auto& [k, v] : r.extras) {
    if (k.rfind("cpu_ms_per_task_", 0) == 0) fine(w, k.c_str(), v);
    else num(w, k.c_str(), v);
  }
  num(w, "load_1m_before", r.load_1m_before);
  num(w, "load_1m_after", r.load_1m_after);
  w.EndObject();
}

std::string fmt(double v, int decimals) {
  if (!std::isfinite(v)) return "—";
  std::ostringstream os;
  os << std::fixed << std::setprecision(decimals) << v;
  return os.str();
}
std::string fmt(std::optional<double> v, int decimals) { return v ? fmt(*v, decimals) : "—"; }

} // namespace

std::string write_peer_report(const report_context& rctx, const peer_stores& stores,
                              const std::vector<peer_mode_report>& modes) {
  const auto& o = *rctx.options;
  rapidjson::StringBuffer buf;
  writer w(buf);
  w.StartObject();
  str(w, "scenario", "peers");
  str(w, "git_sha", rctx.git_sha);
  str(w, "timestamp_utc", utc_timestamp());
  w.Key("host");
  w.StartObject();
  str(w, "cpu", rctx.host.cpu);
  integer(w, "cores", rctx.host.cores);
  num(w, "mem_gb", rctx.host.mem_gb);
  w.EndObject();
  w.Key("store_versions");
  w.StartObject();
  w.Key("redis");
  if (rctx.valkey_version) w.String(rctx.valkey_version->c_str());
  else w.Null();
  w.Key("postgres");
  if (!stores.pg_version.empty()) w.String(stores.pg_version.c_str());
  else w.Null();
  w.EndObject();
  w.Key("config");
  w.StartObject();
  w.Key("spawn");
  w.Bool(o.spawn);
  strings(w, "peers", o.peers);
  strings(w, "peer_modes", o.peer_modes);
  integer(w, "runs", o.runs);
  integer(w, "warmup", o.warmup);
  integer(w, "calm_ms", o.calm_ms);
  integer(w, "time_limit_s", o.time_limit_s);
  integer(w, "tasks", o.tasks);
  integer(w, "workers_or_concurrency", o.workers);
  integer(w, "payload_bytes", o.payload_bytes);
  integer(w, "producer_in_flight", o.seed_concurrency);
  integer(w, "pickup_samples", o.dispatch_samples);
  integer(w, "park_ms", o.park_ms);
  integer(w, "wait_ms", o.wait_ms);
  str(w, "lane", o.lane);
  strings(w, "pg_settings", o.pg_settings);
  w.EndObject();
  str(w, "protocol",
      "per mode: one warm-up round, --runs rounds, each peer then ff-node, and a last round of the "
      "peers; a calm pause before every run. Figures are medians across successful measured runs; "
      "ratios are ff-node / peer of the same invocation");
  str(w, "cpu_ms_per_task",
      "CPU ms per task in the timed window: store (redis-server, or the PostgreSQL postmaster with "
      "its backends), worker side (ff-node: the node; a peer: its worker process), producer side "
      "(ff-node: the ff-bench client, producer and workers; a peer: its producer process)");
  w.Key("modes");
  w.StartArray();
  for (const auto& m : modes) {
    w.StartObject();
    str(w, "mode", m.mode);
    str(w, "timed", timed_of(m.mode));
    str(w, "headline", is_latency(m.mode) ? "latency_ms.p50" : "throughput_tasks_per_sec");
    const auto ff = figures_of(m.runs[0]);
    w.Key("systems");
    w.StartArray();
    for (std::size_t i = 0; i < m.systems.size(); ++i) {
      const auto f = i == 0 ? ff : figures_of(m.runs[i]);
      w.StartObject();
      str(w, "system", m.systems[i]);
      str(w, "version", i == 0 ? rctx.git_sha : m.versions[i]);
      integer(w, "measured_runs", static_cast<std::int64_t>(f.measured));
      integer(w, "failed_runs", static_cast<std::int64_t>(f.failed));
      num(w, "throughput_tasks_per_sec", f.throughput);
      num(w, "throughput_min", f.throughput_min);
      num(w, "throughput_max", f.throughput_max);
      num(w, "throughput_spread", f.throughput_spread);
      w.Key("latency_ms");
      w.StartObject();
      num(w, "p50", f.p50_ms);
      num(w, "p99", f.p99_ms);
      num(w, "p50_min", f.p50_min);
      num(w, "p50_max", f.p50_max);
      num(w, "p50_spread", f.p50_spread);
      w.EndObject();
      w.Key("cpu_ms_per_task");
      w.StartObject();
      fine(w, "store", f.cpu_store);
      fine(w, "worker", f.cpu_worker);
      fine(w, "producer", f.cpu_producer);
      w.EndObject();
      w.Key("ff_node_ratio");
      if (i == 0) {
        w.Null();
      } else {
        auto r = ratio(ff, f, m.mode);
        w.StartObject();
        if (is_latency(m.mode)) {
          fine(w, "p50", r.p50);
          fine(w, "p99", r.p99);
        } else {
          fine(w, "throughput", r.throughput);
        }
        w.EndObject();
      }
      w.Key("runs");
      w.StartArray();
      for (const auto& r : m.runs[i]) write_run(w, r);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  str(w, "command", rctx.command_line);
  w.EndObject();

  std::filesystem::create_directories(o.out_dir);
  std::string path = o.out_dir + "/peers-" + rctx.git_sha + ".json";
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << buf.GetString() << "\n";
  return path;
}

std::string peer_markdown(const report_context& rctx, const std::vector<peer_mode_report>& modes) {
  std::ostringstream os;
  os << "\nPeers: medians across measured runs (range); ratio = ff-node ÷ peer, same invocation\n\n"
        "| mode | system | runs | figure (range, spread) | ff-node ÷ system | CPU ms/task: store / "
        "worker side / producer |\n";
  os << "| --- | --- | --- | --- | --- | --- |\n";
  for (const auto& m : modes) {
    const auto ff = figures_of(m.runs[0]);
    for (std::size_t i = 0; i < m.systems.size(); ++i) {
      const auto f = i == 0 ? ff : figures_of(m.runs[i]);
      os << "| " << m.mode << " | " << m.systems[i]
         << (i > 0 && !m.versions[i].empty() ? " " + m.versions[i] : "") << " | " << f.measured
         << (f.failed ? " (+" + std::to_string(f.failed) + " FAILED)" : "") << " | ";
      if (is_latency(m.mode))
        os << "p50 " << fmt(f.p50_ms, 3) << " / p99 " << fmt(f.p99_ms, 3) << " ms (p50 "
           << fmt(f.p50_min, 3) << "–" << fmt(f.p50_max, 3) << ", " << fmt(f.p50_spread * 100, 0)
           << " %)";
      else
        os << fmt(f.throughput, 0) << " tasks/s (" << fmt(f.throughput_min, 0) << "–"
           << fmt(f.throughput_max, 0) << ", " << fmt(f.throughput_spread * 100, 0) << " %)";
      os << " | ";
      if (i == 0) {
        os << "—";
      } else {
        auto r = ratio(ff, f, m.mode);
        if (is_latency(m.mode)) os << "p50 " << fmt(r.p50, 2) << ", p99 " << fmt(r.p99, 2);
        else os << fmt(r.throughput, 2);
      }
      os << " | " << fmt(f.cpu_store, 3) << " / " << fmt(f.cpu_worker, 3) << " / "
         << fmt(f.cpu_producer, 3) << " |\n";
    }
  }
  os << "\nCPU per task: store = redis-server or PostgreSQL (postmaster and backends); worker side "
        "= ff-node, or the peer's worker process; producer = the ff-bench client (its producer "
        "and workers), or the peer's producer process. Pickup: below 1 means ff-node is faster.\n";
  const auto& o = *rctx.options;
  os << "\ncommit " << rctx.git_sha << ", " << rctx.host.cores << " cores (" << rctx.host.cpu
     << "); " << o.tasks << " tasks, " << o.payload_bytes << " B payload, " << o.workers
     << " workers, " << o.seed_concurrency << " adds in flight, " << o.dispatch_samples
     << " pickup samples per run\n";
  return os.str();
}

} // namespace ffbench
