// Scenario 2, suspend -> signal -> resume (benchmarks.md §3 scenario 2,
// small profile of §7.2): serial round trips. Per round trip, untimed:
// create one execution and acquire it. Timed: suspend on one waitpoint,
// read the pending waitpoints, signal with the token, acquire until the
// same execution comes back resumed, complete. The worker and the
// signaller each have their own keep-alive connection; everything runs on
// the one io thread.

#include <rapidjson/document.h>

#include <unistd.h>

#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "ff_api.hpp"

namespace ffbench {

namespace http = boost::beast::http;

namespace {

const char* const waitpoint_key = "bench";
const char* const signal_name = "bench_resume";
const std::int64_t suspend_timeout_ms = 60000;
// Acquires per phase of one round trip before it counts as stuck (the
// long-poll already waits wait_ms each time).
const int max_acquires = 1000;

// A lease with the fields the suspend body and the re-claim check need.
// The payload is empty here, so a DOM parse costs nothing.
struct held {
  lease l;
  std::string attempt_id;
  std::string attempt_type;
};

std::string string_member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return {};
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<held> parse_held(const std::string& body) {
  auto l = parse_lease(body);
  if (!l) return std::nullopt;
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError()) return std::nullopt;
  return held{*l, string_member(doc, "attempt_id"), string_member(doc, "attempt_type")};
}

std::string random_uuid_v4(std::mt19937_64& rng) {
  static const char* hex = "0123456789abcdef";
  std::uint64_t hi = rng(), lo = rng();
  hi = (hi & ~0xf000ull) | 0x4000ull;                      // version 4
  lo = (lo & ~(0xc0ull << 56)) | (0x80ull << 56);          // RFC 4122 variant
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
    std::uint64_t word = i < 16 ? hi : lo;
    out.push_back(hex[(word >> (60 - 4 * (i % 16))) & 0xf]);
  }
  return out;
}

std::string suspend_body(const held& h) {
  const std::string key = json_string(waitpoint_key);
  return "{\"lease_id\":" + json_string(h.l.lease_id) +
         ",\"lease_epoch\":" + std::to_string(h.l.lease_epoch) +
         ",\"attempt_index\":" + std::to_string(h.l.attempt_index) +
         (h.attempt_id.empty() ? std::string() : ",\"attempt_id\":" + json_string(h.attempt_id)) +
         ",\"reason_code\":\"waiting_for_signal\",\"waitpoints\":[{\"waitpoint_key\":" + key +
         "}],\"resume_condition\":{\"type\":\"single\",\"waitpoint_key\":" + key +
         ",\"signal_name\":" + json_string(signal_name) +
         "},\"timeout_ms\":" + std::to_string(suspend_timeout_ms) +
         ",\"timeout_behavior\":\"fail\"}";
}

std::string signal_body(const std::string& eid, const std::string& waitpoint_id,
                        const std::string& token, const std::string& signal_id) {
  return "{\"execution_id\":" + json_string(eid) + ",\"waitpoint_id\":" +
         json_string(waitpoint_id) + ",\"signal_id\":" + json_string(signal_id) +
         ",\"signal_name\":" + json_string(signal_name) +
         ",\"signal_category\":\"bench\",\"source_type\":\"ff-bench\","
         "\"source_identity\":\"ff-bench-s2\",\"target_scope\":\"waitpoint\","
         "\"waitpoint_token\":" +
         json_string(token) + ",\"now\":" + std::to_string(epoch_ms()) + "}";
}

std::string exec_path(const std::string& eid, const char* tail) {
  return "/v1/executions/" + url_encode(eid) + tail;
}

struct s2_state {
  explicit s2_state(bench_context& c) : ctx(c), rng(std::random_device{}()) {}
  bench_context& ctx;
  std::shared_ptr<http_connection> worker;     // create, acquire, suspend, complete
  std::shared_ptr<http_connection> signaller;  // pending-waitpoints, signal
  phase* ph = nullptr;
  std::mt19937_64 rng;
  std::string worker_id = "ff-bench-s2";
  std::string instance;
  int wanted = 0;
  int done = 0;

  // The current round trip. `live` while its execution exists and is not
  // terminal, so a failed run can cancel it.
  std::string eid;
  bool live = false;
  held h;
  std::string waitpoint_id;
  std::string token;
  int acquires_this_phase = 0;
  steady::time_point t0{};         // start of the timed window
  steady::time_point step_start{};

  std::vector<double> window_us, suspend_us, pending_us, signal_us, reclaim_us, complete_us;
  std::uint64_t setup_acquires = 0;
  std::uint64_t reclaim_acquires = 0;
  std::uint64_t reclaim_empty = 0;
  std::uint64_t strays_completed = 0;
};

using state_ptr = std::shared_ptr<s2_state>;

void start_roundtrip(const state_ptr& s);
void setup_acquire(const state_ptr& s);
void reclaim(const state_ptr& s);

// Completes an execution that is not the round trip's (a leftover the
// lane handed out), then goes on.
void complete_stray(const state_ptr& s, const lease& l, std::function<void()> then) {
  ++s->strays_completed;
  s->worker->send(http::verb::post, complete_path(l.execution_id), complete_body(l),
                  request_timeout, [s, then = std::move(then)](http_reply& r) {
                    if (!s->ph->running()) return;
                    if (r.ec || r.status != 200)
                      return s->ph->fail(describe_failure("complete (stray)", r));
                    then();
                  });
}

void on_complete(const state_ptr& s, http_reply& r) {
  if (!s->ph->running()) return;
  if (r.ec || r.status != 200) return s->ph->fail(describe_failure("complete", r));
  s->live = false;
  s->complete_us.push_back(micros(s->step_start, r.done));
  s->window_us.push_back(micros(s->t0, r.done));
  ++s->done;
  s->ctx.progress_line.add();
  start_roundtrip(s);
}

void on_reclaim(const state_ptr& s, http_reply& r) {
  if (!s->ph->running()) return;
  if (!r.ec && r.status == 204) {
    ++s->reclaim_empty;
    return reclaim(s);
  }
  std::optional<held> got;
  if (r.ec || r.status != 200 || !(got = parse_held(r.body)))
    return s->ph->fail(describe_failure("re-claim acquire", r));
  if (got->l.execution_id != s->eid)
    return complete_stray(s, got->l, [s] { reclaim(s); });
  if (got->attempt_type != "resumed")
    return s->ph->fail("re-claim: execution came back with attempt_type '" + got->attempt_type +
                       "', expected resumed");
  s->reclaim_us.push_back(micros(s->step_start, r.done));
  s->h = std::move(*got);
  s->step_start = steady::now();
  s->worker->send(http::verb::post, complete_path(s->eid), complete_body(s->h.l), request_timeout,
                  [s](http_reply& c) { on_complete(s, c); });
}

// One long-poll acquire on the worker connection, counted in `counter`;
// after max_acquires in one phase the round trip counts as stuck.
void acquire_with_limit(const state_ptr& s, std::uint64_t& counter, const std::string& stuck,
                        void (*on_reply)(const state_ptr&, http_reply&)) {
  if (!s->ph->running()) return;
  if (++s->acquires_this_phase > max_acquires)
    return s->ph->fail(stuck + " after " + std::to_string(max_acquires) + " acquires");
  ++counter;
  const auto& o = s->ctx.options;
  s->worker->send(http::verb::post, acquire_path(s->worker_id),
                  acquire_body(o, s->instance, o.wait_ms),
                  std::chrono::milliseconds(o.wait_ms) + request_timeout,
                  [s, on_reply](http_reply& r) { on_reply(s, r); });
}

void reclaim(const state_ptr& s) {
  acquire_with_limit(s, s->reclaim_acquires, "re-claim: the execution did not come back",
                     on_reclaim);
}

void on_signal(const state_ptr& s, http_reply& r) {
  if (!s->ph->running()) return;
  if (r.ec || r.status != 200) return s->ph->fail(describe_failure("signal", r));
  rapidjson::Document doc;
  doc.Parse(r.body.c_str(), r.body.size());
  std::string effect;
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("Accepted"))
    effect = string_member(doc["Accepted"], "effect");
  if (effect != "resume_condition_satisfied")
    return s->ph->fail(describe_failure("signal did not resume the execution", r));
  s->signal_us.push_back(micros(s->step_start, r.done));
  s->step_start = steady::now();
  s->acquires_this_phase = 0;
  reclaim(s);
}

void on_pending(const state_ptr& s, http_reply& r) {
  if (!s->ph->running()) return;
  if (r.ec || r.status != 200) return s->ph->fail(describe_failure("pending-waitpoints", r));
  rapidjson::Document doc;
  doc.Parse(r.body.c_str(), r.body.size());
  if (doc.HasParseError() || !doc.IsArray())
    return s->ph->fail(describe_failure("pending-waitpoints (not an array)", r));
  // The listing names the waitpoint and the token's key id, never the raw
  // token: check both against what suspend answered.
  bool found = false;
  for (const auto& w : doc.GetArray()) {
    if (string_member(w, "waitpoint_id") != s->waitpoint_id) continue;
    auto kid = string_member(w, "token_kid");
    if (string_member(w, "state") != "active" || kid.empty() ||
        s->token.compare(0, kid.size() + 1, kid + ":") != 0)
      return s->ph->fail(describe_failure("pending-waitpoints (waitpoint not active)", r));
    found = true;
  }
  if (!found) return s->ph->fail(describe_failure("pending-waitpoints (waitpoint missing)", r));
  s->pending_us.push_back(micros(s->step_start, r.done));
  s->step_start = steady::now();
  s->signaller->send(http::verb::post, exec_path(s->eid, "/signal"),
                     signal_body(s->eid, s->waitpoint_id, s->token, random_uuid_v4(s->rng)),
                     request_timeout, [s](http_reply& c) { on_signal(s, c); });
}

void on_suspend(const state_ptr& s, http_reply& r) {
  if (!s->ph->running()) return;
  if (r.ec || r.status != 200) return s->ph->fail(describe_failure("suspend", r));
  rapidjson::Document doc;
  doc.Parse(r.body.c_str(), r.body.size());
  if (doc.HasParseError() || string_member(doc, "status") != "suspended" ||
      !doc.HasMember("waitpoints") || !doc["waitpoints"].IsArray() ||
      doc["waitpoints"].Size() != 1)
    return s->ph->fail(describe_failure("suspend (unexpected answer)", r));
  s->waitpoint_id = string_member(doc["waitpoints"][0], "waitpoint_id");
  s->token = string_member(doc["waitpoints"][0], "waitpoint_token");
  if (s->waitpoint_id.empty() || s->token.empty())
    return s->ph->fail(describe_failure("suspend (no waitpoint id or token)", r));
  s->suspend_us.push_back(micros(s->t0, r.done));
  s->step_start = steady::now();
  s->signaller->send(http::verb::get, exec_path(s->eid, "/pending-waitpoints"), {},
                     request_timeout, [s](http_reply& c) { on_pending(s, c); });
}

// The timed window starts here.
void suspend(const state_ptr& s) {
  s->t0 = steady::now();
  s->worker->send(http::verb::post, exec_path(s->eid, "/suspend"), suspend_body(s->h),
                  request_timeout, [s](http_reply& r) { on_suspend(s, r); });
}

void on_setup_acquire(const state_ptr& s, http_reply& r) {
  if (!s->ph->running()) return;
  if (!r.ec && r.status == 204) return setup_acquire(s);
  std::optional<held> got;
  if (r.ec || r.status != 200 || !(got = parse_held(r.body)))
    return s->ph->fail(describe_failure("acquire", r));
  if (got->l.execution_id != s->eid)
    return complete_stray(s, got->l, [s] { setup_acquire(s); });
  s->h = std::move(*got);
  suspend(s);
}

void setup_acquire(const state_ptr& s) {
  acquire_with_limit(s, s->setup_acquires, "acquire: the new execution was not handed out",
                     on_setup_acquire);
}

void start_roundtrip(const state_ptr& s) {
  if (!s->ph->running()) return;
  if (s->done >= s->wanted) return s->ph->finish();
  s->eid.clear();
  s->acquires_this_phase = 0;
  // No payload, as in the reference.
  s->worker->send(http::verb::post, "/v1/executions", create_body(s->ctx.options, "[]"),
                  request_timeout, [s](http_reply& r) {
                    if (!s->ph->running()) return;
                    auto id = r.ec || r.status != 201 ? std::nullopt : parse_created_id(r.body);
                    if (!id) return s->ph->fail(describe_failure("create", r));
                    s->eid = *id;
                    s->live = true;
                    setup_acquire(s);
                  });
}

// Cancels the execution a failed round trip left behind, so it does not
// sit suspended (or leased) in the lane for later runs. Best effort.
std::string cancel_leftover(bench_context& ctx, const std::string& eid) {
  auto conn = std::make_shared<http_connection>(ctx.io, *ctx.node);
  std::string outcome = "not answered";
  conn->send(http::verb::post, exec_path(eid, "/cancel"),
             "{\"execution_id\":" + json_string(eid) +
                 ",\"reason\":\"ff-bench s2 round trip failed\",\"now\":" +
                 std::to_string(epoch_ms()) + "}",
             std::chrono::milliseconds(5000), [&](http_reply& r) {
               outcome = !r.ec && r.status == 200 ? "cancelled" : describe_failure("cancel", r);
             });
  ctx.io.restart();
  ctx.io.run();
  return outcome;
}

} // namespace

run_result run_s2(bench_context& ctx, const std::string& label) {
  const auto& o = ctx.options;
  return run_guarded(ctx, static_cast<std::uint64_t>(o.s2_roundtrips), [&](run_result& result,
                                                                           steady::time_point deadline) {
    result.extra("leftovers_drained", static_cast<double>(drain_lane(ctx, deadline)));

    auto s = std::make_shared<s2_state>(ctx);
    s->worker = std::make_shared<http_connection>(ctx.io, *ctx.node);
    s->signaller = std::make_shared<http_connection>(ctx.io, *ctx.node);
    s->instance = s->worker_id + "-" + std::to_string(getpid());
    s->wanted = o.s2_roundtrips;
    phase ph(ctx, deadline, [s] {
      s->worker->close();
      s->signaller->close();
    });
    s->ph = &ph;

    ctx.progress_line.begin(label + " round trips", result.expected);
    const auto start = connect_all_then_run(ctx, ph, result, {s->worker, s->signaller},
                                            [s] { start_roundtrip(s); });
    if (ph.failed()) {
      std::string why = ph.error();
      if (s->live) why += " (execution " + s->eid + ": " + cancel_leftover(ctx, s->eid) + ")";
      throw std::runtime_error(why);
    }

    result.wall_ms = micros(start, steady::now()) / 1000.0;
    result.completed = static_cast<std::uint64_t>(s->done);
    auto summary = summarize_us(s->window_us);
    result.throughput = summary.p50 > 0 ? 1000.0 / summary.p50 : 0;
    result.latency_us = std::move(s->window_us);
    // The steps of the window, for whoever optimises one of them. Means
    // add up to the window's mean; p50s need not add up to its p50 (a
    // delay that hits a different step each round trip moves every
    // window but no step's median).
    const std::pair<const char*, const std::vector<double>*> steps[] = {
        {"suspend", &s->suspend_us}, {"pending_read", &s->pending_us},
        {"signal", &s->signal_us},   {"reclaim", &s->reclaim_us},
        {"complete", &s->complete_us}};
    for (const auto& [name, us] : steps) {
      auto sum = summarize_us(*us);
      result.extra(std::string(name) + "_p50_ms", sum.p50);
      result.extra(std::string(name) + "_p99_ms", sum.p99);
      result.extra(std::string(name) + "_mean_ms", sum.mean);
    }
    result.extra("setup_acquires", static_cast<double>(s->setup_acquires));
    result.extra("reclaim_acquires", static_cast<double>(s->reclaim_acquires));
    result.extra("reclaim_empty_acquires", static_cast<double>(s->reclaim_empty));
    result.extra("strays_completed", static_cast<double>(s->strays_completed));
  });
}

} // namespace ffbench
