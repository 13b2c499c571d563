#include "report.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ffbench {

namespace {

using writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void key(writer& w, const char* k) { w.Key(k); }
void str(writer& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}
void num(writer& w, const char* k, double v) {
  w.Key(k);
  // Three decimals are plenty (microsecond resolution in milliseconds)
  // and keep the files readable.
  if (std::isfinite(v)) w.Double(std::round(v * 1000.0) / 1000.0);
  else w.Null();
}
void integer(writer& w, const char* k, std::int64_t v) {
  w.Key(k);
  w.Int64(v);
}
void boolean(writer& w, const char* k, bool v) {
  w.Key(k);
  w.Bool(v);
}

void write_latency(writer& w, const char* k, const latency_summary& s) {
  key(w, k);
  w.StartObject();
  num(w, "p50", s.p50);
  num(w, "p95", s.p95);
  num(w, "p99", s.p99);
  num(w, "max", s.max);
  num(w, "mean", s.mean);
  integer(w, "samples", static_cast<std::int64_t>(s.n));
  w.EndObject();
}

void write_string_array(writer& w, const char* k, const std::vector<std::string>& v) {
  key(w, k);
  w.StartArray();
  for (const auto& s : v) w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
}

void write_config(writer& w, const bench_options& o) {
  key(w, "config");
  w.StartObject();
  str(w, "profile", o.profile);
  str(w, "scenario_flag", o.scenario);
  boolean(w, "spawn", o.spawn);
  str(w, "target", o.spawn ? std::string("spawned") : o.target);
  str(w, "redis", o.spawn ? std::string("spawned") : o.redis);
  write_string_array(w, "redis_args", o.redis_args);
  write_string_array(w, "node_env", o.node_env);
  integer(w, "pin_redis", o.pin_redis);
  integer(w, "pin_node", o.pin_node);
  boolean(w, "auth_token", !o.token.empty());
  integer(w, "runs", o.runs);
  integer(w, "warmup", o.warmup);
  integer(w, "calm_ms", o.calm_ms);
  boolean(w, "no_baseline", o.no_baseline);
  integer(w, "time_limit_s", o.time_limit_s);
  str(w, "lane", o.lane);
  integer(w, "tasks", o.tasks);
  integer(w, "workers", o.workers);
  integer(w, "payload_bytes", o.payload_bytes);
  integer(w, "seed_concurrency", o.seed_concurrency);
  str(w, "protocol", o.protocol);
  integer(w, "create_batch", o.create_batch);
  integer(w, "lease_ttl_ms", o.lease_ttl_ms);
  integer(w, "wait_ms", o.wait_ms);
  integer(w, "priority", o.priority);
  integer(w, "dispatch_samples", o.dispatch_samples);
  integer(w, "dispatch_wait_ms", o.dispatch_wait_ms);
  integer(w, "park_ms", o.park_ms);
  integer(w, "dispatch_payload_bytes", o.dispatch_payload_bytes);
  integer(w, "s2_roundtrips", o.s2_roundtrips);
  integer(w, "rss_pending", o.rss_pending);
  str(w, "rss_lane", o.rss_lane);
  integer(w, "rss_payload_bytes", o.rss_payload_bytes);
  integer(w, "rss_settle_ms", o.rss_settle_ms);
  integer(w, "baseline_tasks", o.baseline_tasks);
  integer(w, "baseline_workers", o.baseline_workers);
  integer(w, "baseline_payload_bytes", o.baseline_payload_bytes);
  integer(w, "baseline_chunk", o.baseline_chunk);
  integer(w, "baseline_block_s", o.baseline_block_s);
  integer(w, "baseline_nil_sleep_ms", o.baseline_nil_sleep_ms);
  write_string_array(w, "peers", o.peers);
  write_string_array(w, "peer_modes", o.peers.empty() ? std::vector<std::string>{} : o.peer_modes);
  write_string_array(w, "pg_settings", o.pg_settings);
  integer(w, "load_generator_threads", 1);
  w.EndObject();
}

void write_run(writer& w, const run_result& r) {
  w.StartObject();
  boolean(w, "warmup", r.warmup);
  boolean(w, "ok", r.ok);
  if (!r.ok) str(w, "error", r.error);
  integer(w, "expected", static_cast<std::int64_t>(r.expected));
  integer(w, "completed", static_cast<std::int64_t>(r.completed));
  num(w, "wall_ms", r.wall_ms);
  num(w, "throughput_ops_per_sec", r.throughput);
  write_latency(w, "latency_ms", summarize_us(r.latency_us));
  for (const auto& [k, v] : r.extras) num(w, k.c_str(), v);
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

std::string read_first_line(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    if (fgets(buf, sizeof buf, p)) out = buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// Median across successful measured runs of one run extra; nullopt when
// no run has it.
std::optional<double> median_extra(const std::vector<run_result>& runs, const std::string& k) {
  std::vector<double> v;
  for (const auto& r : runs)
    if (!r.warmup && r.ok)
      for (const auto& [name, value] : r.extras)
        if (name == k) v.push_back(value);
  if (v.empty()) return std::nullopt;
  return median(v);
}

const char* const memory_fields[] = {"rss_mb_idle", "rss_mb_after_create", "rss_mb_after",
                                     "hwm_mb", "rss_kb_per_pending", "pending_executions"};

} // namespace

double percentile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto idx = static_cast<std::size_t>(std::llround(static_cast<double>(sorted.size() - 1) * q));
  return sorted[std::min(idx, sorted.size() - 1)];
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double spread(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  double m = median(v);
  return m > 0 ? (*hi - *lo) / m : 0;
}

latency_summary summarize_us(std::vector<double> samples_us) {
  latency_summary s;
  s.n = samples_us.size();
  if (samples_us.empty()) return s;
  std::sort(samples_us.begin(), samples_us.end());
  double sum = 0;
  for (double v : samples_us) sum += v;
  s.p50 = percentile_sorted(samples_us, 0.50) / 1000.0;
  s.p95 = percentile_sorted(samples_us, 0.95) / 1000.0;
  s.p99 = percentile_sorted(samples_us, 0.99) / 1000.0;
  s.max = samples_us.back() / 1000.0;
  s.mean = sum / static_cast<double>(samples_us.size()) / 1000.0;
  return s;
}

double run_result::extra_or(const std::string& k, double fallback) const {
  for (const auto& [name, v] : extras)
    if (name == k) return v;
  return fallback;
}

host_info read_host_info() {
  host_info h;
  h.cores = std::thread::hardware_concurrency();
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) h.cpu = line.substr(line.find_first_not_of(' ', colon + 1));
      break;
    }
  }
  std::ifstream mem("/proc/meminfo");
  for (std::string line; std::getline(mem, line);) {
    if (line.rfind("MemTotal:", 0) == 0) {
      double kb = std::strtod(line.c_str() + 9, nullptr);
      h.mem_gb = std::round(kb / 1024.0 / 1024.0 * 10.0) / 10.0;
      break;
    }
  }
  return h;
}

std::array<double, 3> load_average() {
  std::array<double, 3> l{};
  if (getloadavg(l.data(), 3) != 3) l = {-1, -1, -1};
  return l;
}

std::string utc_timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string resolve_git_sha(const std::string& flag) {
  if (!flag.empty()) return flag;
  auto is_sha = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos;
  };
  // The current folder first (the usual place to run from), then the
  // folder of the binary (a build folder inside the checkout).
  std::string sha = read_first_line("git rev-parse --short HEAD 2>/dev/null");
  if (is_sha(sha)) return sha;
  std::error_code ec;
  auto exe_dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  if (!ec) {
    std::string dir = exe_dir.string();
    std::string quoted = "'";
    for (char c : dir) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    quoted += "'";
    sha = read_first_line("git -C " + quoted + " rev-parse --short HEAD 2>/dev/null");
    if (is_sha(sha)) return sha;
  }
  return FF_BENCH_CONFIGURED_SHA;
}

aggregate aggregate_runs(const std::vector<run_result>& runs) {
  aggregate a;
  std::vector<double> tput, p50, p95, p99, mx, mean;
  std::size_t samples = 0;
  for (const auto& r : runs) {
    if (r.warmup) continue;
    if (!r.ok) {
      a.all_ok = false;
      ++a.failed;
      continue;
    }
    ++a.measured;
    tput.push_back(r.throughput);
    auto s = summarize_us(r.latency_us);
    samples += s.n;
    p50.push_back(s.p50);
    p95.push_back(s.p95);
    p99.push_back(s.p99);
    mx.push_back(s.max);
    mean.push_back(s.mean);
  }
  a.throughput_median = median(tput);
  a.throughput_spread = spread(tput);
  a.latency.n = samples;
  a.latency.p50 = median(p50);
  a.latency.p95 = median(p95);
  a.latency.p99 = median(p99);
  a.latency.max = mx.empty() ? 0 : *std::max_element(mx.begin(), mx.end());
  a.latency.mean = median(mean);
  a.latency_p50_spread = spread(p50);
  return a;
}

std::optional<double> ratio_to_baseline(const scenario_report& report) {
  if (report.baseline_runs.empty() || report.kind == headline_kind::memory) return std::nullopt;
  auto self = aggregate_runs(report.runs);
  auto base = aggregate_runs(report.baseline_runs);
  if (self.measured == 0 || base.measured == 0) return std::nullopt;
  if (report.kind == headline_kind::throughput) {
    if (base.throughput_median <= 0) return std::nullopt;
    return self.throughput_median / base.throughput_median;
  }
  if (base.latency.p50 <= 0) return std::nullopt;
  return self.latency.p50 / base.latency.p50;
}

std::string write_json_report(const report_context& ctx, const scenario_report& report) {
  rapidjson::StringBuffer buf;
  writer w(buf);
  w.SetMaxDecimalPlaces(3);
  auto agg = aggregate_runs(report.runs);

  w.StartObject();
  str(w, "scenario", report.scenario);
  str(w, "system", report.system);
  str(w, "git_sha", ctx.git_sha);
  key(w, "valkey_version");
  if (ctx.valkey_version) w.String(ctx.valkey_version->c_str());
  else w.Null();
  key(w, "host");
  w.StartObject();
  str(w, "cpu", ctx.host.cpu);
  integer(w, "cores", ctx.host.cores);
  num(w, "mem_gb", ctx.host.mem_gb);
  w.EndObject();
  boolean(w, "cluster", false);
  str(w, "timestamp_utc", utc_timestamp());
  write_config(w, *ctx.options);
  num(w, "throughput_ops_per_sec", agg.throughput_median);
  key(w, "latency_ms");
  w.StartObject();
  num(w, "p50", agg.latency.p50);
  num(w, "p95", agg.latency.p95);
  num(w, "p99", agg.latency.p99);
  num(w, "max", agg.latency.max);
  w.EndObject();
  str(w, "notes", report.notes);
  str(w, "latency_aggregation",
      "p50/p95/p99: median across runs of each run's percentile; max: the largest sample of any "
      "measured run");
  {
    std::vector<double> pooled;
    for (const auto& r : report.runs)
      if (!r.warmup && r.ok) pooled.insert(pooled.end(), r.latency_us.begin(), r.latency_us.end());
    write_latency(w, "latency_ms_pooled", summarize_us(std::move(pooled)));
  }

  // Extras of this harness.
  boolean(w, "ok", agg.all_ok && agg.measured > 0);
  str(w, "headline", report.kind == headline_kind::throughput ? "throughput_ops_per_sec"
                     : report.kind == headline_kind::latency  ? "latency_ms.p50"
                                                              : "rss_mb.rss_mb_after");
  if (report.kind == headline_kind::memory) {
    // The memory figures, median across measured runs (one run by default).
    key(w, "rss_mb");
    w.StartObject();
    for (const char* f : memory_fields) {
      auto v = median_extra(report.runs, f);
      if (v) num(w, f, *v);
      else {
        key(w, f);
        w.Null();
      }
    }
    w.EndObject();
  }
  str(w, "timed", report.what_is_timed);
  str(w, "aggregation", "median across successful measured runs of each run's figure");
  integer(w, "measured_runs", static_cast<std::int64_t>(agg.measured));
  integer(w, "failed_runs", static_cast<std::int64_t>(agg.failed));
  num(w, "throughput_spread", agg.throughput_spread);
  num(w, "latency_p50_spread", agg.latency_p50_spread);
  key(w, "runs");
  w.StartArray();
  for (const auto& r : report.runs) write_run(w, r);
  w.EndArray();

  key(w, "baseline");
  if (report.baseline_runs.empty()) {
    w.Null();
  } else {
    auto b = aggregate_runs(report.baseline_runs);
    w.StartObject();
    str(w, "system", "hiredis-baseline");
    integer(w, "measured_runs", static_cast<std::int64_t>(b.measured));
    num(w, "throughput_ops_per_sec", b.throughput_median);
    num(w, "throughput_spread", b.throughput_spread);
    key(w, "latency_ms");
    w.StartObject();
    num(w, "p50", b.latency.p50);
    num(w, "p95", b.latency.p95);
    num(w, "p99", b.latency.p99);
    w.EndObject();
    key(w, "throughput_runs");
    w.StartArray();
    for (const auto& r : report.baseline_runs)
      if (!r.warmup) w.Double(std::round(r.throughput * 1000.0) / 1000.0);
    w.EndArray();
    w.EndObject();
  }
  key(w, "ratio_to_baseline");
  if (auto ratio = ratio_to_baseline(report)) w.Double(std::round(*ratio * 10000.0) / 10000.0);
  else w.Null();
  str(w, "ratio_of",
      report.kind == headline_kind::throughput
          ? "median throughput / median baseline throughput (same invocation)"
      : report.kind == headline_kind::latency
          ? "median p50 latency / median baseline BLMPOP+INCR p50 (same invocation)"
          : "none: a memory figure has no baseline");
  key(w, "load_avg");
  w.StartObject();
  key(w, "start");
  w.StartArray();
  for (double l : ctx.load_start) w.Double(l);
  w.EndArray();
  key(w, "end");
  w.StartArray();
  for (double l : load_average()) w.Double(l);
  w.EndArray();
  w.EndObject();
  str(w, "command", ctx.command_line);
  w.EndObject();

  std::filesystem::create_directories(ctx.options->out_dir);
  std::string path = ctx.options->out_dir + "/" + report.scenario + "-" + report.system + "-" +
                     ctx.git_sha + ".json";
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << buf.GetString() << "\n";
  return path;
}

std::string markdown_table(const report_context& ctx, const std::vector<scenario_report>& reports) {
  std::ostringstream os;
  os << "\n| scenario | system | runs | throughput ops/s (spread) | p50 / p95 / p99 / max ms "
        "| baseline ops/s | ratio |\n";
  os << "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& r : reports) {
    auto a = aggregate_runs(r.runs);
    os << "| " << r.scenario << " | " << r.system << " | " << a.measured
       << (a.failed ? " (+" + std::to_string(a.failed) + " FAILED)" : "") << " | " << fmt(a.throughput_median, 1) << " ("
       << fmt(a.throughput_spread * 100.0, 1) << " %) | " << fmt(a.latency.p50, 3) << " / "
       << fmt(a.latency.p95, 3) << " / " << fmt(a.latency.p99, 3) << " / "
       << fmt(a.latency.max, 3) << " | ";
    if (r.baseline_runs.empty()) {
      os << "— | — |\n";
    } else {
      auto b = aggregate_runs(r.baseline_runs);
      os << fmt(b.throughput_median, 1) << " | ";
      auto ratio = ratio_to_baseline(r);
      os << (ratio ? fmt(*ratio, 3) : std::string("—"))
         << (r.kind == headline_kind::latency ? " (p50 latency)" : "") << " |\n";
    }
  }
  for (const auto& r : reports) {
    if (r.kind != headline_kind::memory) continue;
    auto idle = median_extra(r.runs, "rss_mb_idle");
    auto after = median_extra(r.runs, "rss_mb_after");
    auto hwm = median_extra(r.runs, "hwm_mb");
    auto n = median_extra(r.runs, "pending_executions");
    if (!idle || !after || !hwm || !n) continue;
    os << "\n" << r.scenario << ": ff-node RSS " << fmt(*idle, 1) << " MB idle, " << fmt(*after, 1)
       << " MB with " << fmt(*n, 0) << " pending executions (peak " << fmt(*hwm, 1)
       << " MB); throughput and latency above are the create calls'\n";
  }
  auto l = load_average();
  os << "\ncommit " << ctx.git_sha << ", " << ctx.host.cores << " cores (" << ctx.host.cpu
     << "), load " << fmt(ctx.load_start[0], 2) << " at start, " << fmt(l[0], 2)
     << " at end; profile " << ctx.options->profile << "\n";
  return os.str();
}

} // namespace ffbench
