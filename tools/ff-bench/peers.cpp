// The peer comparison (peers.hpp): the stores the peers use, one run of a
// peer runner, and the protocol alternating peers with ff-node.

#include "peers.hpp"

#include <rapidjson/document.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tools/common/local_postgres.hpp"
#include "tools/common/local_services.hpp"

#ifndef FF_BENCH_PEER_DIR
#define FF_BENCH_PEER_DIR "tools/peer-bench"
#endif

namespace ffbench {

namespace fs = std::filesystem;

namespace {

const char* const mark_prefix = "@@ff-peer-bench mark ";

std::string peer_dir(const bench_options& o) {
  return o.peer_dir.empty() ? std::string(FF_BENCH_PEER_DIR) : o.peer_dir;
}

// The packages each runner loads.
std::vector<std::string> packages_of(const std::string& peer) {
  if (peer == "bullmq") return {"bullmq", "ioredis"};
  return {"graphile-worker", "pg"};
}

// host:port of postgres://[user[:password]@]host[:port][/db][?...].
std::string pg_host_port(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) throw std::runtime_error("--pg-url is not a URL: " + url);
  std::string rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?"));
  auto at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  if (rest.empty()) throw std::runtime_error("--pg-url has no host: " + url);
  return rest;
}

// CPU time of a PostgreSQL server: the postmaster, its live children
// (backends, background processes) and the children it has reaped.
// utime, stime, cutime, cstime are fields 14 to 17 of /proc/<pid>/stat,
// the parent pid field 4; fields are counted after the command's ')'.
struct stat_fields {
  int ppid = -1;
  double self_ticks = 0;
  double children_ticks = 0;
};

std::optional<stat_fields> read_stat(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return std::nullopt;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  stat_fields f;
  for (int i = 3; i <= 17 && rest >> field; ++i) {
    if (i == 4) f.ppid = std::stoi(field);
    if (i == 14 || i == 15) f.self_ticks += std::stod(field);
    if (i == 16 || i == 17) f.children_ticks += std::stod(field);
  }
  return f;
}

double postgres_tree_cpu_ms(int postmaster) {
  auto root = read_stat(std::to_string(postmaster));
  if (!root) return -1;
  double ticks = root->self_ticks + root->children_ticks;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      auto f = read_stat(e->d_name);
      if (f && f->ppid == postmaster) ticks += f->self_ticks;
    }
    closedir(d);
  }
  return ticks * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::vector<int> postgres_children(int postmaster) {
  std::vector<int> out;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      auto f = read_stat(e->d_name);
      if (f && f->ppid == postmaster) out.push_back(std::atoi(e->d_name));
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void calm(int ms) {
  auto until = steady::now() + std::chrono::milliseconds(ms);
  while (steady::now() < until && !stop_requested)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// A runner child with its three standard streams on pipes.
struct runner_process {
  pid_t pid = -1;
  int in = -1, out = -1, err = -1;

  ~runner_process() {
    for (int* fd : {&in, &out, &err})
      if (*fd >= 0) close(*fd);
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

void start_runner(runner_process& p, const std::vector<std::string>& args, const std::string& cwd) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<std::string> a = args, env = ff::local::basic_env();
  std::vector<char*> argv, envp;
  for (auto& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // dup2 clears close-on-exec on the copies.
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    signal(SIGPIPE, SIG_DFL);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  p.pid = pid;
  p.in = in[1];
  p.out = out[0];
  p.err = err[0];
}

double json_number(const rapidjson::Value& v, const char* k, double fallback = -1) {
  auto it = v.FindMember(k);
  return it != v.MemberEnd() && it->value.IsNumber() ? it->value.GetDouble() : fallback;
}

std::string json_text(const rapidjson::Value& v, const char* k) {
  auto it = v.FindMember(k);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
}

struct peer_run_info {
  std::string version;
  std::string store_version;
};

// One run of a peer runner in one mode.
run_result run_peer(bench_context& ctx, const peer_stores& stores, const std::string& peer,
                    const std::string& mode, const std::string& label, peer_run_info& info) {
  const auto& o = ctx.options;
  const bool pickup = mode == "pickup";
  const auto expected = static_cast<std::uint64_t>(pickup ? o.dispatch_samples : o.tasks);
  return run_guarded(ctx, expected, [&](run_result& result, steady::time_point deadline) {
    const std::string dir = peer_dir(o);
    std::vector<std::string> args{ff::local::find_on_path(o.node_bin), dir + "/" + peer + ".js"};
    if (peer == "bullmq") {
      if (!stores.redis) throw std::runtime_error("bullmq needs a Redis (--spawn or --redis)");
      args.insert(args.end(), {"--redis", stores.redis->host + ":" + std::to_string(stores.redis->port)});
    } else {
      args.insert(args.end(), {"--pg", stores.pg_url});
    }
    args.insert(args.end(),
                {"--mode", mode, "--tasks", std::to_string(o.tasks), "--payload-bytes",
                 std::to_string(o.payload_bytes), "--concurrency", std::to_string(o.workers),
                 "--in-flight", std::to_string(o.seed_concurrency), "--samples",
                 std::to_string(o.dispatch_samples), "--park-ms", std::to_string(o.park_ms),
                 "--time-limit-s", std::to_string(o.time_limit_s), "--sync"});

    // What the marks read: the watched processes (ff-bench, and with
    // --spawn ff-node and redis-server), plus PostgreSQL for graphile.
    std::vector<std::pair<std::string, std::function<double()>>> meters;
    for (const auto& [name, pid] : ctx.processes)
      meters.emplace_back(name, [pid = pid] { return process_cpu_ms(pid); });
    if (peer == "graphile" && stores.pg_pid > 0)
      meters.emplace_back("postgres", [pid = stores.pg_pid] { return postgres_tree_cpu_ms(pid); });
    std::vector<double> at_start;
    std::vector<int> pg_children_before;
    if (peer == "graphile" && stores.pg_pid > 0) pg_children_before = postgres_children(stores.pg_pid);

    runner_process p;
    start_runner(p, args, dir);
    ctx.progress_line.begin(label, expected);
    std::string out, err_line, err_tail;
    bool out_open = true, err_open = true, started = false, ended = false;
    auto ack = [&] {
      static const char go[] = "go\n";
      if (write(p.in, go, sizeof go - 1) != static_cast<ssize_t>(sizeof go - 1))
        throw std::runtime_error("runner: cannot answer a mark");
    };
    auto on_line = [&](const std::string& line) {
      if (line.rfind(mark_prefix, 0) == 0) {
        const std::string name = line.substr(std::strlen(mark_prefix));
        if (name == "start") {
          at_start.clear();
          for (auto& m : meters) at_start.push_back(m.second());
          started = true;
        } else if (name == "end" && started) {
          for (std::size_t i = 0; i < meters.size(); ++i) {
            double now = meters[i].second();
            if (now >= 0 && at_start[i] >= 0) result.extra("cpu_ms_" + meters[i].first, now - at_start[i]);
          }
          ended = true;
        }
        ack();
        return;
      }
      err_tail += line + "\n";
      if (err_tail.size() > 4000) err_tail.erase(0, err_tail.size() - 4000);
    };
    const auto hard_deadline = deadline + std::chrono::seconds(15);
    while (out_open || err_open) {
      if (stop_requested) throw std::runtime_error("interrupted");
      if (steady::now() > hard_deadline) throw std::runtime_error("time limit reached (--time-limit-s)");
      pollfd fds[2] = {{p.out, POLLIN, 0}, {p.err, POLLIN, 0}};
      int n = poll(fds, 2, 100);
      ctx.progress_line.tick();
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
      }
      char buf[65536];
      if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t r = read(p.out, buf, sizeof buf);
        if (r > 0) out.append(buf, static_cast<std::size_t>(r));
        else if (r == 0 || errno != EINTR) out_open = false;
      }
      if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t r = read(p.err, buf, sizeof buf);
        if (r > 0) {
          err_line.append(buf, static_cast<std::size_t>(r));
          for (auto nl = err_line.find('\n'); nl != std::string::npos; nl = err_line.find('\n')) {
            on_line(err_line.substr(0, nl));
            err_line.erase(0, nl + 1);
          }
        } else if (r == 0 || errno != EINTR) {
          err_open = false;
          if (!err_line.empty()) on_line(err_line);
        }
      }
    }
    int status = 0;
    waitpid(p.pid, &status, 0);
    p.pid = -1;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0)
      throw std::runtime_error(peer + " runner exited with status " + std::to_string(code) + ":\n" + err_tail);
    if (!ended) throw std::runtime_error(peer + " runner printed no end mark:\n" + err_tail);

    // The last line of stdout is the result.
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    auto last = out.rfind('\n');
    const std::string json = last == std::string::npos ? out : out.substr(last + 1);
    rapidjson::Document d;
    d.Parse(json.c_str(), json.size());
    if (d.HasParseError() || !d.IsObject())
      throw std::runtime_error(peer + " runner printed no JSON object: " + json.substr(0, 300));
    info.version = json_text(d, "version");
    info.store_version = json_text(d, "store_version");

    const double tasks = json_number(d, "tasks", 0);
    result.completed = static_cast<std::uint64_t>(std::max(0.0, json_number(d, "completed", 0)));
    result.wall_ms = json_number(d, "wall_ms", 0);
    if (pickup) {
      if (auto it = d.FindMember("latency_us"); it != d.MemberEnd() && it->value.IsArray())
        for (const auto& v : it->value.GetArray())
          if (v.IsNumber()) result.latency_us.push_back(v.GetDouble());
      auto s = summarize_us(result.latency_us);
      result.throughput = s.p50 > 0 ? 1000.0 / s.p50 : 0;
      result.completed = result.latency_us.size();
      result.extra("discarded_samples", json_number(d, "discarded_samples", 0));
    } else {
      result.throughput = json_number(d, "tasks_per_s", 0);
    }
    result.extra("cpu_ms_peer_worker", json_number(d, "cpu_ms_worker"));
    result.extra("cpu_ms_peer_producer", json_number(d, "cpu_ms_producer"));
    result.extra("cpu_ms_peer_process_total", json_number(d, "cpu_ms_process_total"));
    for (const char* k : {"submit_ms", "produce_ms"})
      if (double v = json_number(d, k); v >= 0) result.extra(std::string(k) == "submit_ms" ? "submit_wall_ms" : "produce_wall_ms", v);
    for (const char* k : {"add_p50_us", "add_p99_us"})
      if (double v = json_number(d, k); v >= 0)
        result.extra(std::string(k) == "add_p50_us" ? "add_p50_ms" : "add_p99_ms", v / 1000.0);
    if (result.completed + (pickup ? static_cast<std::uint64_t>(json_number(d, "discarded_samples", 0)) : 0) !=
        static_cast<std::uint64_t>(tasks) || tasks != static_cast<double>(expected))
      throw std::runtime_error(peer + " runner completed " + std::to_string(result.completed) + " of " +
                               std::to_string(expected));

    ctx.progress_line.add(result.completed);
    ctx.progress_line.end();

    // The runner's backends are gone once it exits; wait for the postmaster
    // to reap them so the next reading starts from a quiet server.
    if (peer == "graphile" && stores.pg_pid > 0) {
      auto until = steady::now() + std::chrono::seconds(2);
      while (steady::now() < until && postgres_children(stores.pg_pid).size() > pg_children_before.size())
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
}

// CPU ms per task of the store, the worker side and the producer side,
// from the run's cpu_ms_* extras.
void add_per_task(run_result& r, const std::string& system) {
  if (!r.ok) return;
  const double n = std::max<double>(1.0, static_cast<double>(r.completed));
  auto per = [&](const char* from, const char* to) {
    double v = r.extra_or(from, -1);
    if (v >= 0) r.extra(to, v / n);
  };
  if (system == "ff-node") {
    per("cpu_ms_redis", "cpu_ms_per_task_store");
    per("cpu_ms_ff_node", "cpu_ms_per_task_worker");
    per("cpu_ms_ff_bench", "cpu_ms_per_task_producer");
  } else {
    per(system == "graphile" ? "cpu_ms_postgres" : "cpu_ms_redis", "cpu_ms_per_task_store");
    per("cpu_ms_peer_worker", "cpu_ms_per_task_worker");
    per("cpu_ms_peer_producer", "cpu_ms_per_task_producer");
  }
}

} // namespace

std::string check_peer_setup(const bench_options& o) {
  if (o.peers.empty()) return "";
  std::set<std::string> seen;
  for (const auto& p : o.peers) {
    if (p != "bullmq" && p != "graphile") return "unknown peer '" + p + "' (bullmq, graphile)";
    if (!seen.insert(p).second) return "peer '" + p + "' named twice";
  }
  seen.clear();
  for (const auto& m : o.peer_modes) {
    if (m != "queued" && m != "concurrent" && m != "pickup")
      return "unknown peer mode '" + m + "' (queued, concurrent, pickup)";
    if (!seen.insert(m).second) return "peer mode '" + m + "' named twice";
  }
  if (o.peer_modes.empty()) return "--peer-modes is empty";
  const std::string dir = peer_dir(o);
  std::vector<std::string> missing;
  for (const auto& p : o.peers) {
    if (access((dir + "/" + p + ".js").c_str(), R_OK) != 0)
      return "no runner " + dir + "/" + p + ".js (use --peer-dir)";
    for (const auto& pkg : packages_of(p))
      if (access((dir + "/node_modules/" + pkg + "/package.json").c_str(), R_OK) != 0)
        missing.push_back(pkg);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return "the peer runners' packages are not installed (" + list + " missing in " + dir +
           "/node_modules). Run `npm ci` in " + dir + " (Node.js 20 and npm).";
  }
  try {
    ff::local::find_on_path(o.node_bin);
  } catch (const std::exception&) {
    return "Node.js not found as '" + o.node_bin + "' (install nodejs, or use --node-bin)";
  }
  const bool graphile = std::find(o.peers.begin(), o.peers.end(), "graphile") != o.peers.end();
  const bool bullmq = std::find(o.peers.begin(), o.peers.end(), "bullmq") != o.peers.end();
  if (bullmq && !o.spawn && o.redis.empty())
    return "bullmq needs a Redis: --spawn, or --redis host:port";
  if (graphile && !o.spawn && o.pg_url.empty())
    return "graphile needs a PostgreSQL: --spawn (a private one), or --pg-url "
           "postgres://user@127.0.0.1:5432/db";
  if (!o.pg_url.empty()) {
    try {
      resolve_loopback(pg_host_port(o.pg_url), "5432");
    } catch (const std::exception& e) {
      return std::string("--pg-url: ") + e.what();
    }
  }
  return "";
}

peer_stores::peer_stores(const bench_options& o, std::optional<redis_address> r)
    : redis(std::move(r)) {
  const bool graphile = std::find(o.peers.begin(), o.peers.end(), "graphile") != o.peers.end();
  if (!graphile) return;
  if (!o.spawn) {
    pg_url = o.pg_url;
    return;
  }
  std::fprintf(stderr, "starting a private PostgreSQL...\n");
  pg_ = std::make_unique<ff::local::postgres_process>(
      ff::local::postgres_process::options{"", o.pg_settings, -1});
  pg_url = pg_->url();
  pg_pid = static_cast<int>(pg_->pid());
  pg_version = pg_->version();
}

peer_stores::~peer_stores() { stop(); }

void peer_stores::stop() {
  pg_.reset();
  pg_pid = -1;
}

std::vector<peer_mode_report> run_peer_comparison(bench_context& ctx, const peer_stores& stores) {
  const auto& o = ctx.options;
  std::vector<peer_mode_report> reports;
  // ff-node's pickup is the dispatch run with the same payload as the peers.
  bench_options pickup_options = o;
  pickup_options.dispatch_payload_bytes = o.payload_bytes;
  bench_context pickup_ctx{pickup_options, ctx.io,         ctx.node,    ctx.redis,
                           ctx.progress_line, ctx.processes, ctx.node_pid};

  for (const auto& mode : o.peer_modes) {
    if (stop_requested) break;
    peer_mode_report rep;
    rep.mode = mode;
    rep.systems.push_back("ff-node");
    rep.systems.insert(rep.systems.end(), o.peers.begin(), o.peers.end());
    rep.runs.resize(rep.systems.size());
    rep.versions.resize(rep.systems.size());
    bool failed = false;

    auto run_system = [&](std::size_t i, const std::string& tag, bool warmup) {
      if (stop_requested || failed) return;
      const std::string& system = rep.systems[i];
      const std::string label = "peers " + mode + " " + system + " " + tag;
      calm(o.calm_ms);
      const double before = load_average()[0];
      run_result r;
      if (i == 0) {
        if (mode == "queued") r = run_s1(ctx, label);
        else if (mode == "concurrent") r = run_ff_concurrent(ctx, label);
        else r = run_dispatch(pickup_ctx, label);
      } else {
        peer_run_info info;
        r = run_peer(ctx, stores, system, mode, label, info);
        if (!info.version.empty()) rep.versions[i] = info.version;
      }
      r.warmup = warmup;
      r.load_1m_before = before;
      r.load_1m_after = load_average()[0];
      add_per_task(r, system);
      if (!r.ok) {
        std::fprintf(stderr, "%s failed: %s\n", label.c_str(), r.error.c_str());
        failed = true;  // a broken system fails every run the same way
      }
      rep.runs[i].push_back(std::move(r));
    };
    auto round = [&](const std::string& tag, bool warmup, bool with_ff) {
      for (std::size_t i = 1; i < rep.systems.size(); ++i) run_system(i, tag, warmup);
      if (with_ff) run_system(0, tag, warmup);
    };
    for (int w = 0; w < o.warmup; ++w) round("warm-up", true, true);
    for (int i = 1; i <= o.runs; ++i)
      round("run " + std::to_string(i) + "/" + std::to_string(o.runs), false, true);
    // The peers after ff-node too, so drift shows in their spread.
    round("after", false, false);
    reports.push_back(std::move(rep));
  }
  return reports;
}

peer_figures figures_of(const std::vector<run_result>& runs) {
  peer_figures f;
  std::vector<double> tput, p50, p99;
  std::vector<double> store, worker, producer;
  for (const auto& r : runs) {
    if (r.warmup) continue;
    if (!r.ok) {
      ++f.failed;
      continue;
    }
    ++f.measured;
    tput.push_back(r.throughput);
    auto s = summarize_us(r.latency_us);
    p50.push_back(s.p50);
    p99.push_back(s.p99);
    if (double v = r.extra_or("cpu_ms_per_task_store", -1); v >= 0) store.push_back(v);
    if (double v = r.extra_or("cpu_ms_per_task_worker", -1); v >= 0) worker.push_back(v);
    if (double v = r.extra_or("cpu_ms_per_task_producer", -1); v >= 0) producer.push_back(v);
  }
  if (f.measured == 0) return f;
  f.throughput = median(tput);
  f.throughput_min = *std::min_element(tput.begin(), tput.end());
  f.throughput_max = *std::max_element(tput.begin(), tput.end());
  f.throughput_spread = spread(tput);
  f.p50_ms = median(p50);
  f.p99_ms = median(p99);
  f.p50_min = *std::min_element(p50.begin(), p50.end());
  f.p50_max = *std::max_element(p50.begin(), p50.end());
  f.p50_spread = spread(p50);
  if (!store.empty()) f.cpu_store = median(store);
  if (!worker.empty()) f.cpu_worker = median(worker);
  if (!producer.empty()) f.cpu_producer = median(producer);
  return f;
}

} // namespace ffbench
