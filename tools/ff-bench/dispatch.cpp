// Dispatch latency: one worker parked in a long-poll acquire, one create;
// the sample is the time from just before the create is written until the
// acquire's response with that execution's lease has been read. Samples
// run one after another on two pre-connected keep-alive connections.

#include <unistd.h>

#include <memory>
#include <stdexcept>

#include "ff_api.hpp"

namespace ffbench {

namespace http = boost::beast::http;

namespace {


struct dispatch_state {
  explicit dispatch_state(bench_context& c) : ctx(c), park(c.io) {}
  bench_context& ctx;
  std::shared_ptr<http_connection> worker;
  std::shared_ptr<http_connection> creator;
  boost::asio::steady_timer park;
  std::string payload;
  std::string instance;
  phase* ph = nullptr;

  int wanted = 0;
  int attempts = 0;
  int max_attempts = 0;
  std::vector<double> samples_us;
  std::vector<double> create_us;
  std::uint64_t discarded = 0;

  // The current sample.
  bool acquire_done = false;
  bool create_done = false;
  http_reply acquire_reply;
  http_reply create_reply;
};

void start_sample(const std::shared_ptr<dispatch_state>& s);

void next_sample(const std::shared_ptr<dispatch_state>& s) {
  if (!s->ph->running()) return;
  if (static_cast<int>(s->samples_us.size()) >= s->wanted) return s->ph->finish();
  start_sample(s);
}

// Completes `l` (untimed) so the lane is empty again, then goes on.
void complete_then(const std::shared_ptr<dispatch_state>& s, const lease& l,
                   std::function<void()> then) {
  s->worker->send(http::verb::post, complete_path(l.execution_id), complete_body(l),
                  request_timeout, [s, then = std::move(then)](http_reply& r) {
                    if (!s->ph->running()) return;
                    if (r.ec || r.status != 200)
                      return s->ph->fail(describe_failure("complete", r));
                    then();
                  });
}

// Empties the lane after a discarded sample (a stray task would otherwise
// be handed to the next sample's acquire at once).
void drain_then_next(const std::shared_ptr<dispatch_state>& s) {
  s->worker->send(http::verb::post, acquire_path("ff-bench-dispatch"),
                  acquire_body(s->ctx.options, s->instance, 0), request_timeout,
                  [s](http_reply& r) {
                    if (!s->ph->running()) return;
                    if (!r.ec && r.status == 204) return next_sample(s);
                    std::optional<lease> l;
                    if (r.ec || r.status != 200 || !(l = parse_lease(r.body)))
                      return s->ph->fail(describe_failure("drain acquire", r));
                    complete_then(s, *l, [s] { drain_then_next(s); });
                  });
}

void sample_finished(const std::shared_ptr<dispatch_state>& s) {
  if (!s->acquire_done || !s->create_done || !s->ph->running()) return;
  auto& a = s->acquire_reply;
  auto& c = s->create_reply;
  if (c.ec || c.status != 201) return s->ph->fail(describe_failure("create", c));
  auto created = parse_created_id(c.body);
  if (!created) return s->ph->fail(describe_failure("create (no execution_id)", c));
  if (a.ec || (a.status != 200 && a.status != 204))
    return s->ph->fail(describe_failure("acquire", a));
  std::optional<lease> l;
  if (a.status == 200 && !(l = parse_lease(a.body)))
    return s->ph->fail(describe_failure("acquire (no lease)", a));

  // Counted only when the parked acquire carried the very execution just
  // created and answered after the create was sent.
  if (l && l->execution_id == *created && a.done >= c.sent) {
    s->samples_us.push_back(micros(c.sent, a.done));
    s->create_us.push_back(micros(c.sent, c.done));
    s->ctx.progress_line.add();
    return complete_then(s, *l, [s] { next_sample(s); });
  }
  ++s->discarded;
  if (l) return complete_then(s, *l, [s] { drain_then_next(s); });
  drain_then_next(s);
}

void start_sample(const std::shared_ptr<dispatch_state>& s) {
  if (++s->attempts > s->max_attempts)
    return s->ph->fail("too many discarded samples (" + std::to_string(s->discarded) + ")");
  const auto& o = s->ctx.options;
  s->acquire_done = s->create_done = false;
  s->worker->send(
      http::verb::post, acquire_path("ff-bench-dispatch"),
      acquire_body(o, s->instance, o.dispatch_wait_ms),
      std::chrono::milliseconds(o.dispatch_wait_ms) + request_timeout,
      [s](http_reply& r) {
        s->acquire_reply = std::move(r);
        s->acquire_done = true;
        sample_finished(s);
      },
      // Once the acquire is on the wire, give the node a moment to park it,
      // then create.
      [s] {
        s->park.expires_after(std::chrono::milliseconds(s->ctx.options.park_ms));
        s->park.async_wait([s](const boost::system::error_code& ec) {
          if (ec || !s->ph->running()) return;
          s->creator->send(http::verb::post, "/v1/executions",
                           create_body(s->ctx.options, s->payload), request_timeout,
                           [s](http_reply& r) {
                             s->create_reply = std::move(r);
                             s->create_done = true;
                             sample_finished(s);
                           });
        });
      });
}

} // namespace

run_result run_dispatch(bench_context& ctx, const std::string& label) {
  const auto& o = ctx.options;
  return run_guarded(ctx, static_cast<std::uint64_t>(o.dispatch_samples), [&](run_result& result,
                                                                              steady::time_point deadline) {
    result.extra("leftovers_drained", static_cast<double>(drain_lane(ctx, deadline)));

    auto s = std::make_shared<dispatch_state>(ctx);
    s->worker = std::make_shared<http_connection>(ctx.io, *ctx.node);
    s->creator = std::make_shared<http_connection>(ctx.io, *ctx.node);
    s->payload = json_byte_array(payload_blob(static_cast<std::size_t>(o.dispatch_payload_bytes)));
    s->instance = "ff-bench-dispatch-" + std::to_string(getpid());
    s->wanted = o.dispatch_samples;
    s->max_attempts = o.dispatch_samples + std::max(10, o.dispatch_samples / 10);
    phase ph(ctx, deadline, [s] {
      s->park.cancel();
      s->worker->close();
      s->creator->close();
    });
    s->ph = &ph;

    ctx.progress_line.begin(label + " samples", result.expected);
    const auto start = connect_all_then_run(ctx, ph, result, {s->worker, s->creator},
                                            [s] { next_sample(s); });
    if (ph.failed()) throw std::runtime_error(ph.error());

    result.wall_ms = micros(start, steady::now()) / 1000.0;
    result.completed = s->samples_us.size();
    auto summary = summarize_us(s->samples_us);
    result.throughput = summary.p50 > 0 ? 1000.0 / summary.p50 : 0;
    result.latency_us = std::move(s->samples_us);
    result.extra("discarded_samples", static_cast<double>(s->discarded));
    auto create = summarize_us(s->create_us);
    result.extra("create_p50_ms", create.p50);
    result.extra("create_p99_ms", create.p99);
  });
}

} // namespace ffbench
