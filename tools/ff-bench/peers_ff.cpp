// ff-node's concurrent mode for the peer comparison (peers.hpp): --workers
// workers parked in long-poll acquires, then a producer creating --tasks
// executions with --seed-concurrency creates in flight while the workers
// acquire and complete. Timed from just before the first create is written
// to the last successful complete. Every connection is opened (GET
// /healthz) before the window, as the peer runners open theirs.

#include <boost/asio/steady_timer.hpp>

#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "ff_api.hpp"
#include "peers.hpp"

namespace ffbench {

namespace http = boost::beast::http;

namespace {

struct concurrent_state {
  explicit concurrent_state(bench_context& c) : ctx(c), pause(c.io) {}
  bench_context& ctx;
  std::vector<std::shared_ptr<http_connection>> workers;
  std::vector<std::shared_ptr<http_connection>> producers;
  boost::asio::steady_timer pause;
  std::string payload;
  phase* ph = nullptr;
  run_result* result = nullptr;
  cpu_meter cpu;

  int target = 0;
  int sent = 0;
  int created = 0;
  int completed = 0;
  int active = 0;  // worker and producer loops still going
  std::uint64_t acquires = 0, empty_acquires = 0;
  std::vector<double> create_us, complete_us;
  steady::time_point start{}, last_complete{}, last_create{};
};

using state_ptr = std::shared_ptr<concurrent_state>;

void loop_done(const state_ptr& s) {
  if (--s->active == 0) s->ph->finish();
}

void worker_loop(const state_ptr& s, std::size_t i) {
  if (!s->ph->running() || s->completed >= s->target) return loop_done(s);
  const auto& o = s->ctx.options;
  const std::string worker_id = "ff-bench-w" + std::to_string(i);
  const std::string instance = worker_id + "-" + std::to_string(getpid());
  auto conn = s->workers[i];
  ++s->acquires;
  conn->send(http::verb::post, acquire_path(worker_id), acquire_body(o, instance, o.wait_ms),
             std::chrono::milliseconds(o.wait_ms) + request_timeout, [s, i, conn](http_reply& r) {
               if (!s->ph->running()) return loop_done(s);
               if (!r.ec && r.status == 204) {
                 ++s->empty_acquires;
                 return worker_loop(s, i);
               }
               std::optional<lease> l;
               if (r.ec || r.status != 200 || !(l = parse_lease(r.body))) {
                 s->ph->fail(describe_failure("acquire", r));
                 return loop_done(s);
               }
               conn->send(http::verb::post, complete_path(l->execution_id), complete_body(*l),
                          request_timeout, [s, i](http_reply& c) {
                            if (!s->ph->running()) return loop_done(s);
                            if (c.ec || c.status != 200) {
                              s->ph->fail(describe_failure("complete", c));
                              return loop_done(s);
                            }
                            s->complete_us.push_back(micros(c.sent, c.done));
                            ++s->completed;
                            s->ctx.progress_line.add();
                            if (s->completed == s->target) {
                              s->last_complete = c.done;
                              s->cpu.end(s->ctx, *s->result);
                            }
                            worker_loop(s, i);
                          });
             });
}

void producer_loop(const state_ptr& s, std::size_t i) {
  if (!s->ph->running() || s->sent >= s->target) return loop_done(s);
  ++s->sent;
  s->producers[i]->send(http::verb::post, "/v1/executions",
                        create_body(s->ctx.options, s->payload), request_timeout,
                        [s, i](http_reply& r) {
                          if (!s->ph->running()) return loop_done(s);
                          if (r.ec || r.status != 201 || !parse_created_id(r.body)) {
                            s->ph->fail(describe_failure("create", r));
                            return loop_done(s);
                          }
                          ++s->created;
                          s->create_us.push_back(micros(r.sent, r.done));
                          s->last_create = r.done;
                          producer_loop(s, i);
                        });
}

// Every connection has answered /healthz: park the workers, give them a
// moment to be idle-waiting (as the runners do), then start the window.
void start_work(const state_ptr& s) {
  s->active = static_cast<int>(s->workers.size());
  for (std::size_t i = 0; i < s->workers.size(); ++i) worker_loop(s, i);
  s->pause.expires_after(std::chrono::milliseconds(200));
  s->pause.async_wait([s](const boost::system::error_code& ec) {
    if (ec || !s->ph->running()) return;
    s->cpu.begin(s->ctx);
    s->start = steady::now();
    s->active += static_cast<int>(s->producers.size());
    for (std::size_t i = 0; i < s->producers.size(); ++i) producer_loop(s, i);
  });
}

} // namespace

run_result run_ff_concurrent(bench_context& ctx, const std::string& label) {
  const auto& o = ctx.options;
  return run_guarded(ctx, static_cast<std::uint64_t>(o.tasks), [&](run_result& result,
                                                                   steady::time_point deadline) {
    result.extra("leftovers_drained", static_cast<double>(drain_lane(ctx, deadline)));
    auto s = std::make_shared<concurrent_state>(ctx);
    s->target = o.tasks;
    s->result = &result;
    s->payload = json_byte_array(payload_blob(static_cast<std::size_t>(o.payload_bytes)));
    for (int i = 0; i < o.workers; ++i)
      s->workers.push_back(std::make_shared<http_connection>(ctx.io, *ctx.node));
    for (int i = 0; i < std::max(1, std::min(o.seed_concurrency, o.tasks)); ++i)
      s->producers.push_back(std::make_shared<http_connection>(ctx.io, *ctx.node));
    phase ph(ctx, deadline, [s] {
      s->pause.cancel();
      for (auto& c : s->workers) c->close();
      for (auto& c : s->producers) c->close();
    });
    s->ph = &ph;

    ctx.progress_line.begin(label, result.expected);
    ph.start();
    std::size_t connected = 0;
    const std::size_t total = s->workers.size() + s->producers.size();
    auto on_health = [s, &connected, total](http_reply& r) {
      if (!s->ph->running()) return;
      if (r.ec || r.status != 200) return s->ph->fail(describe_failure("healthz", r));
      if (++connected == total) start_work(s);
    };
    for (auto* group : {&s->workers, &s->producers})
      for (const auto& c : *group) c->send(http::verb::get, "/healthz", {}, request_timeout, on_health);
    ctx.io.restart();
    ctx.io.run();
    ctx.progress_line.end();
    if (ph.failed()) throw std::runtime_error(ph.error());
    if (s->completed != o.tasks)
      throw std::runtime_error("completed " + std::to_string(s->completed) + " of " +
                               std::to_string(o.tasks));

    result.completed = static_cast<std::uint64_t>(s->completed);
    result.wall_ms = micros(s->start, s->last_complete) / 1000.0;
    result.throughput =
        result.wall_ms > 0 ? static_cast<double>(o.tasks) / (result.wall_ms / 1000.0) : 0;
    result.latency_us = std::move(s->complete_us);
    result.extra("produce_wall_ms", micros(s->start, s->last_create) / 1000.0);
    auto create = summarize_us(s->create_us);
    result.extra("create_p50_ms", create.p50);
    result.extra("create_p99_ms", create.p99);
    result.extra("acquires", static_cast<double>(s->acquires));
    result.extra("empty_acquires", static_cast<double>(s->empty_acquires));
  });
}

} // namespace ffbench
