// Claims: acquire_next_in_lane, grant_next_in_lane + claim_execution, queue
// order, capabilities, priority changes, progress, resumed attempts.

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "tests/contract/backend_factory.hpp"
#include "tests/contract/suspension_support.hpp"

using namespace ff;
using namespace ff::test;

CONTRACT_TEST("happy path: create, acquire, renew, frames, complete, read stream and result") {
  auto a = sample_create_args(7);
  a.tags = {{"app.team", "payments"}};
  a.policy_json = R"({"max_replay_count":3})";
  REQUIRE(fx.backend->create_execution(a).has_value());
  const auto& eid = a.execution_id;

  auto req = acquire_request(7, "default", "w1", "", 30'000);
  const std::int64_t before = now_ms();
  auto got = fx.backend->acquire_next_in_lane(req);
  const std::int64_t after = now_ms();
  REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().text()));
  REQUIRE(got->acquired);
  CHECK(got->eligible_remaining == 0);
  CHECK(got->skipped_capability == 0);
  const claimed_lease& l = got->lease;
  CHECK(l.execution_id == eid.value);
  CHECK(l.attempt_index == 0);
  CHECK(l.attempt_id == req.attempt_id);
  CHECK(l.attempt_type == attempt_kind::initial);
  CHECK(l.lease_id == req.lease_id);
  CHECK(l.lease_epoch == 1);
  CHECK(l.lease_expires_at >= before + 30'000);
  CHECK(l.lease_expires_at <= after + 30'000);
  CHECK(l.lane_id == "default");
  CHECK(l.execution_kind == "send_email");
  CHECK(l.input_payload == a.input_payload);
  CHECK(l.payload_encoding == "json");
  CHECK(l.tags == a.tags);
  CHECK(l.policy_json == a.policy_json);
  CHECK(l.signals.empty());

  auto info = info_of(fx, eid);
  CHECK(info.state.lifecycle_phase == "active");
  CHECK(info.state.ownership_state == "leased");
  CHECK(info.state.eligibility_state == "not_applicable");
  CHECK(info.state.attempt_state == "running_attempt");
  CHECK(info.state.public_state == "active");
  CHECK(info.current_attempt_index == 0);
  CHECK(info.started_at >= before);
  CHECK(info.started_at <= after);

  renew_lease_args renew;
  renew.execution_id = eid;
  renew.fence = fence_of(l);
  renew.lease_ttl_ms = 60'000;
  auto renewed = fx.backend->renew_lease(renew);
  REQUIRE_MESSAGE(renewed.has_value(), (renewed ? "" : renewed.error().text()));
  CHECK(renewed->lease_expires_at > l.lease_expires_at);
  CHECK_FALSE(renewed->cancel_requested);

  auto f1 = append_ok(fx, frame_for(l, "hello"));
  CHECK(f1.frame_count == 1);
  CHECK(f1.summary_version == 0);
  auto frame = frame_for(l, "world", "event");
  frame.summary_patch = R"({"step":2})";
  auto f2 = append_ok(fx, frame);
  CHECK(f2.frame_count == 2);
  CHECK(f2.summary_version == 1);

  auto done = fx.backend->complete_execution(complete_request(l, "the result"));
  REQUIRE_MESSAGE(done.has_value(), (done ? "" : done.error().text()));
  CHECK_FALSE(done->replayed);

  info = info_of(fx, eid);
  CHECK(info.state.lifecycle_phase == "terminal");
  CHECK(info.state.terminal_outcome == "success");
  CHECK(info.state.ownership_state == "unowned");
  CHECK(info.state.attempt_state == "attempt_terminal");
  CHECK(info.state.public_state == "completed");
  CHECK(info.completed_at >= info.started_at);
  auto state = fx.backend->get_execution_state(eid);
  REQUIRE(state.has_value());
  CHECK(*state == "completed");
  auto result = fx.backend->get_execution_result(eid);
  REQUIRE(result.has_value());
  CHECK(result->found);
  CHECK(result->bytes == "the result");

  auto frames = read_stream(fx, eid);
  REQUIRE(frames.frames.size() == 2);
  CHECK(frames.frames[0].id == f1.entry_id);
  CHECK(frames.frames[0].fields.at("frame_type") == "stdout");
  CHECK(frames.frames[0].fields.at("payload") == "hello");
  CHECK(frames.frames[0].fields.at("mode") == "durable");
  CHECK(frames.frames[0].fields.at("source") == "worker");
  CHECK(frames.frames[0].fields.at("encoding") == "utf8");
  CHECK(frames.frames[1].fields.at("payload") == "world");
  CHECK(frames.frames[1].fields.at("summary_version") == "1");
  CHECK(frames.closed_reason == "attempt_success");
  CHECK(frames.closed_at == info.completed_at);

  // Nothing is left to acquire; the lease is gone.
  auto empty = acquire(fx, 7, "default", "w2");
  CHECK_FALSE(empty.acquired);
  CHECK(empty.eligible_remaining == 0);
  CHECK(error_code(fx.backend->renew_lease(renew)) == "execution_not_active");
}

CONTRACT_TEST("grant_next_in_lane grants the head the worker can run, then the grant is claimed") {
  const auto needs_gpu = create(fx, 3, "default", "{}", 9, "gpu");
  const auto plain = create(fx, 3, "default", "{}", 1);

  auto req = acquire_request(3, "default", "cpu-1", "linux");
  req.grant_ttl_ms = 4000;
  const auto before = now_ms();
  auto first = fx.backend->grant_next_in_lane(req);
  REQUIRE_MESSAGE(first.has_value(), (first ? "" : first.error().text()));
  REQUIRE(first->granted);
  CHECK(first->grant.execution_id == plain.value);
  CHECK(first->grant.partition_key == "{fp:3}");
  CHECK_FALSE(first->grant.grant_key.empty());
  CHECK(first->grant.lane_id == "default");
  CHECK(first->grant.expires_at_ms >= before + 4000);
  CHECK(first->skipped_capability == 1);
  CHECK(first->eligible_remaining == 2); // a grant does not take it off the queue

  // The granted execution is not granted twice; nothing else fits this worker.
  auto again = fx.backend->grant_next_in_lane(req);
  REQUIRE(again.has_value());
  CHECK_FALSE(again->granted);
  CHECK(again->skipped_capability == 1);

  auto lease = fx.backend->claim_execution(claim_request(plain, "cpu-1"));
  REQUIRE_MESSAGE(lease.has_value(), (lease ? "" : lease.error().text()));
  CHECK(lease->execution_id == plain.value);
  CHECK(lease->attempt_type == attempt_kind::initial);
  CHECK(public_state_of(fx, plain) == "active");

  auto gpu = acquire_request(3, "default", "gpu-1", "gpu");
  auto capable = fx.backend->grant_next_in_lane(gpu);
  REQUIRE(capable.has_value());
  REQUIRE(capable->granted);
  CHECK(capable->grant.execution_id == needs_gpu.value);

  auto empty_lane = fx.backend->grant_next_in_lane(acquire_request(3, "other", "cpu-1"));
  REQUIRE(empty_lane.has_value());
  CHECK_FALSE(empty_lane->granted);
  CHECK(empty_lane->eligible_remaining == 0);

  auto bad_ttl = acquire_request(3, "default", "cpu-1");
  bad_ttl.grant_ttl_ms = 0;
  auto refused = fx.backend->grant_next_in_lane(bad_ttl);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == "invalid_input");
}

CONTRACT_TEST("a grant is claimed by its worker only, once; it keeps acquire away") {
  const auto eid = create(fx, 9);
  auto req = acquire_request(9, "default", "a-1");
  req.grant_ttl_ms = 5000;
  auto granted = fx.backend->grant_next_in_lane(req);
  REQUIRE(granted.has_value());
  REQUIRE(granted->granted);
  REQUIRE(granted->grant.execution_id == eid.value);

  auto wrong = fx.backend->claim_execution(claim_request(eid, "b-1"));
  CHECK(error_code(wrong) == "invalid_claim_grant");
  CHECK(wrong.error().kind == error_kind::contention);
  // A grant of another worker also keeps acquire away from it.
  CHECK_FALSE(acquire(fx, 9, "default", "b-1").acquired);

  auto c = claim_request(eid, "a-1");
  auto lease = fx.backend->claim_execution(c);
  REQUIRE_MESSAGE(lease.has_value(), (lease ? "" : lease.error().text()));
  CHECK(lease->attempt_type == attempt_kind::initial);
  CHECK(lease->attempt_index == 0);
  CHECK(lease->lease_epoch == 1);
  CHECK(lease->lease_id == c.lease_id);
  CHECK(lease->attempt_id == c.attempt_id);
  CHECK(lease->input_payload == R"({"to":"a@example.com"})");
  CHECK(public_state_of(fx, eid) == "active");

  CHECK(error_code(fx.backend->claim_execution(c)) == "execution_not_leaseable");
  // An active execution is granted to nobody.
  auto later = fx.backend->grant_next_in_lane(req);
  REQUIRE(later.has_value());
  CHECK_FALSE(later->granted);
  CHECK(later->eligible_remaining == 0);
}

CONTRACT_TEST("acquire follows priority, then creation order within a lane") {
  const auto low = create(fx, 7, "default", "{}", 1);
  const auto first_high = create(fx, 7, "default", "{}", 5);
  // Creation order is by created_at (ms): keep the two apart.
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  const auto second_high = create(fx, 7, "default", "{}", 5);
  REQUIRE(info_of(fx, first_high).created_at < info_of(fx, second_high).created_at);
  const auto other_lane = create(fx, 7, "gpu", "{}", 9000);

  auto a1 = acquire(fx, 7, "default", "w1");
  REQUIRE(a1.acquired);
  CHECK(a1.lease.execution_id == first_high.value);
  CHECK(a1.eligible_remaining == 2);
  auto a2 = acquire(fx, 7, "default", "w1");
  REQUIRE(a2.acquired);
  CHECK(a2.lease.execution_id == second_high.value);
  auto a3 = acquire(fx, 7, "default", "w1");
  REQUIRE(a3.acquired);
  CHECK(a3.lease.execution_id == low.value);
  CHECK(a3.eligible_remaining == 0);
  CHECK_FALSE(acquire(fx, 7, "default", "w1").acquired);
  // Another partition's queue of the same lane is a different queue.
  CHECK_FALSE(acquire(fx, 8, "gpu", "w1").acquired);
  auto g = acquire(fx, 7, "gpu", "w1");
  REQUIRE(g.acquired);
  CHECK(g.lease.execution_id == other_lane.value);
}

CONTRACT_TEST("a capability mismatch is skipped and counted; a capable worker gets it") {
  const auto needs_gpu = create(fx, 7, "default", "{}", 5, "cuda,gpu");
  const auto plain = create(fx, 7, "default", "{}", 0);

  auto first = acquire(fx, 7, "default", "cpu-1", "linux");
  REQUIRE(first.acquired);
  CHECK(first.lease.execution_id == plain.value);
  CHECK(first.skipped_capability == 1);
  CHECK(first.eligible_remaining == 1);

  auto nothing = acquire(fx, 7, "default", "cpu-1", "gpu,linux");
  CHECK_FALSE(nothing.acquired);
  CHECK(nothing.skipped_capability == 1);
  CHECK(nothing.eligible_remaining == 1);
  // Still queued, still waiting: a mismatch does not block it.
  CHECK(public_state_of(fx, needs_gpu) == "waiting");

  auto capable = acquire(fx, 7, "default", "gpu-1", "cuda,gpu,linux");
  REQUIRE(capable.acquired);
  CHECK(capable.lease.execution_id == needs_gpu.value);
  CHECK(capable.skipped_capability == 0);
}

CONTRACT_TEST("acquire rejects bad input") {
  create(fx, 7);
  auto bad = acquire_request(7, "default", "w1");
  bad.lease_ttl_ms = 0;
  CHECK(error_code(fx.backend->acquire_next_in_lane(bad)) == "invalid_input");
  bad = acquire_request(7, "default", "w1");
  bad.lease_id.clear();
  CHECK(error_code(fx.backend->acquire_next_in_lane(bad)) == "invalid_input");
  // Nothing was taken.
  CHECK(acquire(fx, 7, "default", "w1").acquired);
}

CONTRACT_TEST("change_priority re-orders an eligible execution and refuses others") {
  const auto a = create(fx, 7, "default", "{}", 1);
  const auto b = create(fx, 7, "default", "{}", 5);

  change_priority_args p;
  p.execution_id = a;
  p.priority = 100;
  auto changed = fx.backend->change_priority(p);
  REQUIRE_MESSAGE(changed.has_value(), (changed ? "" : changed.error().text()));
  CHECK(*changed == 100);
  CHECK(info_of(fx, a).priority == 100);

  p.priority = 20'000;
  auto clamped = fx.backend->change_priority(p);
  REQUIRE(clamped.has_value());
  CHECK(*clamped == 9000);
  CHECK(info_of(fx, a).priority == 9000);

  // Created with the lower priority, `a` now comes first.
  auto first = acquire(fx, 7, "default", "w1");
  REQUIRE(first.acquired);
  CHECK(first.lease.execution_id == a.value);
  p.priority = 1;
  auto refused = fx.backend->change_priority(p);
  CHECK(error_code(refused) == "execution_not_eligible");
  CHECK(info_of(fx, a).priority == 9000);
  auto second = acquire(fx, 7, "default", "w1");
  REQUIRE(second.acquired);
  CHECK(second.lease.execution_id == b.value);

  p.execution_id = execution_id::mint(7);
  CHECK(error_code(fx.backend->change_priority(p)) == "execution_not_found");
}

CONTRACT_TEST("update_progress writes progress under a valid fence only") {
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);
  CHECK(info_of(fx, eid).progress_pct == -1);

  progress_args p;
  p.execution_id = eid;
  p.fence = fence_of(l);
  p.pct = 50;
  p.message = "half way";
  auto ok = fx.backend->update_progress(p);
  REQUIRE_MESSAGE(ok.has_value(), (ok ? "" : ok.error().text()));
  auto info = info_of(fx, eid);
  CHECK(info.progress_pct == 50);
  CHECK(info.progress_message == "half way");

  auto stale = p;
  stale.fence.lease_epoch += 1;
  stale.pct = 70;
  CHECK(error_code(fx.backend->update_progress(stale)) == "stale_lease");
  auto too_much = p;
  too_much.pct = 101;
  CHECK(error_code(fx.backend->update_progress(too_much)) == "invalid_input");
  auto unfenced = p;
  unfenced.fence = {};
  CHECK(error_code(fx.backend->update_progress(unfenced)) == "fence_required");
  info = info_of(fx, eid);
  CHECK(info.progress_pct == 50);
  CHECK(info.progress_message == "half way");
}

CONTRACT_TEST("an interrupted attempt is resumed, by grant and claim or by acquire") {
  const auto eid = create(fx, 7);
  auto l0 = acquire_lease(fx, eid);

  // Suspended, then resumed by a signal: runnable, the attempt interrupted.
  auto s1 = suspend_ok(fx, suspend_request(l0, {"k"}, single_on("k")));
  REQUIRE(s1.status == suspend_status::suspended);
  REQUIRE(deliver_ok(fx, signal_request(eid, s1.waitpoints[0].waitpoint_id)).became_eligible);
  auto waiting = info_of(fx, eid);
  CHECK(waiting.state.public_state == "waiting");
  CHECK(waiting.state.attempt_state == "attempt_interrupted");

  auto req = acquire_request(7, "default", "a-1");
  req.grant_ttl_ms = 5000;
  auto granted = fx.backend->grant_next_in_lane(req);
  REQUIRE(granted.has_value());
  REQUIRE(granted->granted);
  REQUIRE(granted->grant.execution_id == eid.value);
  auto c = claim_request(eid, "a-1");
  auto resumed = fx.backend->claim_execution(c);
  REQUIRE_MESSAGE(resumed.has_value(), (resumed ? "" : resumed.error().text()));
  CHECK(resumed->attempt_type == attempt_kind::resumed);
  CHECK(resumed->attempt_index == l0.attempt_index);
  CHECK(resumed->attempt_id == l0.attempt_id);
  CHECK(resumed->lease_epoch == 2);
  CHECK(resumed->lease_id == c.lease_id);
  CHECK(resumed->signals.size() == 1);
  auto info = info_of(fx, eid);
  CHECK(info.state.public_state == "active");
  CHECK(info.state.attempt_state == "running_attempt");
  CHECK(info.current_attempt_index == 0);
  CHECK_FALSE(acquire(fx, 7, "default", "w9").acquired);

  // Interrupted again; this time acquire resumes it.
  auto s2 = suspend_ok(fx, suspend_request(*resumed, {"k2"}, single_on("k2")));
  REQUIRE(s2.status == suspend_status::suspended);
  deliver_ok(fx, signal_request(eid, s2.waitpoints[0].waitpoint_id));
  auto again = acquire(fx, 7, "default", "w2");
  REQUIRE(again.acquired);
  CHECK(again.lease.attempt_type == attempt_kind::resumed);
  CHECK(again.lease.attempt_index == 0);
  CHECK(again.lease.lease_epoch == 3);
  CHECK(error_code(fx.backend->complete_execution(complete_request(*resumed))) ==
        "stale_lease");
  REQUIRE(fx.backend->complete_execution(complete_request(again.lease)).has_value());
  CHECK(public_state_of(fx, eid) == "completed");
}
