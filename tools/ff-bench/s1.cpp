// Scenario 1, submit -> claim -> complete (benchmarks.md §3, small profile
// of §7.2): seed N executions over REST, then W workers each looping
// acquire (long-poll) -> complete on their own keep-alive connection. With
// --protocol extensions the seeding uses batch create and each complete
// carries a `next`, so a busy worker makes one request per task.

#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "ff_api.hpp"

namespace ffbench {

namespace http = boost::beast::http;

namespace {

struct drain_state {
  explicit drain_state(bench_context& c) : ctx(c) {}
  bench_context& ctx;
  std::vector<std::shared_ptr<http_connection>> conns;
  int target = 0;
  int completed = 0;
  int claimed = 0; // leases handed out so far
  int active_workers = 0;
  std::uint64_t acquires = 0;
  std::uint64_t empty_acquires = 0;
  std::vector<double> complete_us;
  std::vector<double> acquire_us;
  steady::time_point start{};
  steady::time_point last_complete{};
  phase* ph = nullptr;
  cpu_meter cpu;
  run_result* result = nullptr;
};

void worker_loop(const std::shared_ptr<drain_state>& s, std::size_t i);

void worker_done(const std::shared_ptr<drain_state>& s) {
  if (--s->active_workers == 0) s->ph->finish();
}

std::string worker_id_of(std::size_t i) { return "ff-bench-w" + std::to_string(i); }
std::string instance_of(std::size_t i) {
  return worker_id_of(i) + "-" + std::to_string(getpid());
}

// Completes `l`; with --protocol extensions the completion carries a
// `next`, and the lease it returns is completed in turn without an acquire.
void complete_lease(const std::shared_ptr<drain_state>& s, std::size_t i, const lease& l) {
  const auto& o = s->ctx.options;
  const bool with_next = o.protocol == "extensions" && s->claimed < s->target;
  auto body = with_next ? complete_with_next_body(o, l, worker_id_of(i), instance_of(i))
                        : complete_body(l);
  s->conns[i]->send(http::verb::post, complete_path(l.execution_id), std::move(body),
                    request_timeout,
                    [s, i, with_next](http_reply& c) {
                      auto& ph = *s->ph;
                      if (!ph.running()) return worker_done(s);
                      if (c.ec || c.status != 200) {
                        ph.fail(describe_failure("complete", c));
                        return worker_done(s);
                      }
                      s->complete_us.push_back(micros(c.sent, c.done));
                      ++s->completed;
                      s->ctx.progress_line.add();
                      if (s->completed == s->target) {
                        s->last_complete = c.done;
                        s->cpu.end(s->ctx, *s->result);
                        s->ctx.progress_line.end();
                      }
                      if (with_next) {
                        if (auto next = parse_next_lease(c.body)) {
                          ++s->claimed;
                          return complete_lease(s, i, *next);
                        }
                      }
                      worker_loop(s, i);
                    });
}

void worker_loop(const std::shared_ptr<drain_state>& s, std::size_t i) {
  auto& ph = *s->ph;
  if (!ph.running() || s->completed >= s->target) return worker_done(s);
  const auto& o = s->ctx.options;
  const std::string worker_id = worker_id_of(i);
  const std::string instance = instance_of(i);
  auto conn = s->conns[i];
  ++s->acquires;
  conn->send(
      http::verb::post, acquire_path(worker_id), acquire_body(o, instance, o.wait_ms),
      std::chrono::milliseconds(o.wait_ms) + request_timeout, [s, i, conn](http_reply& r) {
        auto& ph = *s->ph;
        if (!ph.running()) return worker_done(s);
        if (!r.ec && r.status == 204) {
          ++s->empty_acquires;
          return worker_loop(s, i);
        }
        std::optional<lease> l;
        if (r.ec || r.status != 200 || !(l = parse_lease(r.body))) {
          ph.fail(describe_failure("acquire", r));
          return worker_done(s);
        }
        s->acquire_us.push_back(micros(r.sent, r.done));
        ++s->claimed;
        complete_lease(s, i, *l);
      });
}

} // namespace

run_result run_s1(bench_context& ctx, const std::string& label) {
  const auto& o = ctx.options;
  return run_guarded(ctx, static_cast<std::uint64_t>(o.tasks), [&](run_result& result,
                                                                   steady::time_point deadline) {
    result.extra("leftovers_drained", static_cast<double>(drain_lane(ctx, deadline)));
    const std::string payload =
        json_byte_array(payload_blob(static_cast<std::size_t>(o.payload_bytes)));
    ctx.progress_line.begin(label + " seed", result.expected);
    const auto seeded =
        o.protocol == "extensions"
            ? create_executions_batched(ctx, deadline, "seed", o.lane, payload, o.tasks,
                                        o.create_batch, o.seed_concurrency)
            : create_executions(ctx, deadline, "seed", o.lane, payload, o.tasks,
                                o.seed_concurrency, /*metered=*/nullptr);
    result.extra("submit_wall_ms", micros(seeded.start, steady::now()) / 1000.0);

    auto s = std::make_shared<drain_state>(ctx);
    s->target = o.tasks;
    phase ph(ctx, deadline, [s] {
      for (auto& c : s->conns) c->close();
    });
    s->ph = &ph;
    s->result = &result;
    ctx.progress_line.begin(label + " drain", result.expected);
    s->cpu.begin(ctx);
    // Timed from here: the workers' connects are inside the window.
    s->start = steady::now();
    ph.start();
    for (int i = 0; i < o.workers; ++i)
      s->conns.push_back(std::make_shared<http_connection>(ctx.io, *ctx.node));
    s->active_workers = o.workers;
    for (std::size_t i = 0; i < s->conns.size(); ++i) worker_loop(s, i);
    // Returns once every worker is idle: workers parked in a long-poll when
    // the last task completed come back with 204 within wait_ms, so no
    // parked acquire outlives the run (it could be handed a later run's
    // task and hold it for a whole lease TTL).
    ctx.io.restart();
    ctx.io.run();
    ctx.progress_line.end();
    if (ph.failed()) throw std::runtime_error("drain: " + ph.error());

    result.completed = static_cast<std::uint64_t>(s->completed);
    result.wall_ms = micros(s->start, s->last_complete) / 1000.0;
    result.throughput = result.wall_ms > 0 ? static_cast<double>(o.tasks) / (result.wall_ms / 1000.0) : 0;
    result.latency_us = std::move(s->complete_us);
    result.extra("drain_wall_ms", result.wall_ms);
    result.extra("acquires", static_cast<double>(s->acquires));
    result.extra("empty_acquires", static_cast<double>(s->empty_acquires));
    auto acq = summarize_us(s->acquire_us);
    result.extra("acquire_p50_ms", acq.p50);
    result.extra("acquire_p99_ms", acq.p99);
    if (s->completed != o.tasks)
      throw std::runtime_error("completed " + std::to_string(s->completed) + " of " +
                               std::to_string(o.tasks));
  });
}

} // namespace ffbench
