// The raw-Redis baseline of benchmarks.md §2: RPUSH N payloads in chunks,
// then W workers, each on its own synchronous connection and thread,
// looping BLMPOP + INCR until N values were moved.

#include <hiredis/hiredis.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "scenario.hpp"

namespace ffbench {

namespace {

const char* queue_key = "bench:q";
const char* completed_key = "bench:completed";

struct context_free {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct reply_free {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using redis_ptr = std::unique_ptr<redisContext, context_free>;
using reply_ptr = std::unique_ptr<redisReply, reply_free>;

redis_ptr connect_redis(const redis_address& a) {
  timeval tv{2, 0};
  redis_ptr c(redisConnectWithTimeout(a.host.c_str(), a.port, tv));
  if (!c) throw std::runtime_error("redis: out of memory");
  if (c->err)
    throw std::runtime_error("redis " + a.host + ":" + std::to_string(a.port) + ": " + c->errstr);
  return c;
}

reply_ptr command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (!r) throw std::runtime_error(std::string("redis: ") + c->errstr);
  reply_ptr out(r);
  if (out->type == REDIS_REPLY_ERROR)
    throw std::runtime_error("redis " + args.front() + ": " + std::string(out->str, out->len));
  return out;
}

double us_between(steady::time_point a, steady::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

} // namespace

std::optional<std::string> redis_version(const redis_address& a) {
  try {
    auto c = connect_redis(a);
    auto r = command(c.get(), {"INFO", "server"});
    if (r->type != REDIS_REPLY_STRING) return std::nullopt;
    std::string info(r->str, r->len);
    const std::string key = "redis_version:";
    auto at = info.find(key);
    if (at == std::string::npos) return std::nullopt;
    auto end = info.find_first_of("\r\n", at);
    return info.substr(at + key.size(), end - at - key.size());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

run_result run_baseline(bench_context& ctx, const std::string& label) {
  const auto& o = ctx.options;
  return run_guarded(ctx, static_cast<std::uint64_t>(o.baseline_tasks), [&](run_result& result,
                                                                            steady::time_point deadline) {
    if (!ctx.redis) throw std::runtime_error("no redis address (use --redis host:port or --spawn)");
    auto control = connect_redis(*ctx.redis);
    command(control.get(), {"DEL", queue_key, completed_key});

    // Seed, excluded from the figure.
    const std::string blob = payload_blob(static_cast<std::size_t>(o.baseline_payload_bytes));
    ctx.progress_line.begin(label + " seed", result.expected);
    auto seed_start = steady::now();
    for (int pushed = 0; pushed < o.baseline_tasks;) {
      int n = std::min(o.baseline_chunk, o.baseline_tasks - pushed);
      std::vector<std::string> args{"RPUSH", queue_key};
      args.insert(args.end(), static_cast<std::size_t>(n), blob);
      command(control.get(), args);
      pushed += n;
      ctx.progress_line.add(static_cast<std::uint64_t>(n));
      ctx.progress_line.tick();
      if (stop_requested || steady::now() > deadline) throw std::runtime_error("seed interrupted");
    }
    result.extra("submit_wall_ms", us_between(seed_start, steady::now()) / 1000.0);
    ctx.progress_line.end();

    // Drain, timed.
    ctx.progress_line.begin(label + " drain", result.expected);
    const int workers = o.baseline_workers;
    std::atomic<std::int64_t> remaining{o.baseline_tasks};
    std::atomic<bool> abort{false};
    std::atomic<int> running{workers};
    std::atomic<std::uint64_t> ok{0}, nil{0}, err{0};
    std::vector<std::atomic<long long>> client_ids(static_cast<std::size_t>(workers));
    for (auto& id : client_ids) id = -1;
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(workers));
    std::atomic<std::int64_t> end_ns{0};
    std::vector<std::string> worker_errors(static_cast<std::size_t>(workers));

    cpu_meter cpu;
    cpu.begin(ctx);
    const auto start = steady::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < workers; ++i) {
      threads.emplace_back([&, i] {
        auto idx = static_cast<std::size_t>(i);
        try {
          auto c = connect_redis(*ctx.redis);
          client_ids[idx] = command(c.get(), {"CLIENT", "ID"})->integer;
          auto& lat = latencies[idx];
          lat.reserve(static_cast<std::size_t>(o.baseline_tasks / workers + 16));
          const std::string block = std::to_string(o.baseline_block_s);
          while (remaining.load() > 0 && !abort.load()) {
            auto t0 = steady::now();
            auto* raw = static_cast<redisReply*>(
                redisCommand(c.get(), "BLMPOP %s 1 %s LEFT COUNT 1", block.c_str(), queue_key));
            if (!raw) throw std::runtime_error(std::string("BLMPOP: ") + c->errstr);
            reply_ptr popped(raw);
            if (popped->type == REDIS_REPLY_ARRAY) {
              reply_ptr incr(static_cast<redisReply*>(redisCommand(c.get(), "INCR %s", completed_key)));
              if (!incr) throw std::runtime_error(std::string("INCR: ") + c->errstr);
              lat.push_back(us_between(t0, steady::now()));
              ok.fetch_add(1);
              ctx.progress_line.add();
              if (remaining.fetch_sub(1) == 1)
                end_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             steady::now() - start).count();
            } else {
              (popped->type == REDIS_REPLY_NIL ? nil : err).fetch_add(1);
              std::this_thread::sleep_for(std::chrono::milliseconds(o.baseline_nil_sleep_ms));
            }
          }
        } catch (const std::exception& e) {
          worker_errors[idx] = e.what();
          abort = true;
        }
        running.fetch_sub(1);
      });
    }

    // The main thread only watches: progress, the time limit, Ctrl-C.
    auto last_unblock = steady::time_point{};
    while (running.load() > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ctx.progress_line.tick();
      if (!abort && (stop_requested || steady::now() > deadline)) abort = true;
      if ((remaining.load() <= 0 || abort.load()) &&
          steady::now() - last_unblock > std::chrono::milliseconds(100)) {
        // Wake the workers still blocked in BLMPOP instead of waiting out
        // their block time (outside the timed window either way). Repeated,
        // because a worker may enter BLMPOP just after a pass.
        last_unblock = steady::now();
        for (auto& id : client_ids)
          if (id.load() >= 0) {
            try {
              command(control.get(), {"CLIENT", "UNBLOCK", std::to_string(id.load())});
            } catch (const std::exception&) {
            }
          }
      }
    }
    for (auto& t : threads) t.join();
    // Includes the short wait for workers blocked in BLMPOP to wake.
    cpu.end(ctx, result);
    ctx.progress_line.end();

    for (const auto& e : worker_errors)
      if (!e.empty()) throw std::runtime_error("baseline worker: " + e);
    if (remaining.load() > 0)
      throw std::runtime_error(stop_requested ? "interrupted" : "time limit reached");

    result.wall_ms = static_cast<double>(end_ns.load()) / 1e6;
    result.completed = ok.load();
    result.throughput = result.wall_ms > 0 ? static_cast<double>(result.completed) /
                                                 (result.wall_ms / 1000.0)
                                           : 0;
    for (auto& l : latencies) result.latency_us.insert(result.latency_us.end(), l.begin(), l.end());
    result.extra("drain_wall_ms", result.wall_ms);
    result.extra("blmpop_ok", static_cast<double>(ok.load()));
    result.extra("blmpop_nil", static_cast<double>(nil.load()));
    result.extra("blmpop_err", static_cast<double>(err.load()));

    auto counted = command(control.get(), {"GET", completed_key});
    long long incrs = counted->type == REDIS_REPLY_STRING ? std::stoll(std::string(counted->str, counted->len)) : 0;
    if (incrs != o.baseline_tasks)
      throw std::runtime_error("bench:completed is " + std::to_string(incrs) + ", expected " +
                               std::to_string(o.baseline_tasks));
    command(control.get(), {"DEL", queue_key, completed_key});
  });
}

} // namespace ffbench
