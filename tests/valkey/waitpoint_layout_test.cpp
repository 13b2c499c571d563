// Pending waitpoints on the Valkey layout: the waitpoint hash, the pending
// expiry index, the lease and suspension keys around an activation;
// buffer_signal_for_pending_waitpoint (a library function no production
// path calls: deliver_signal buffers on a pending waitpoint itself).

#include <doctest/doctest.h>

#include "tests/valkey/store_support.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("a pending waitpoint hash; buffer_signal_for_pending_waitpoint; an already satisfied suspend") {
  valkey_fixture fx;
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  auto req = pending_request(lease, "callback");
  pending_ok(fx, req);
  auto wp = waitpoint_of(fx, eid, req.waitpoint_id);
  CHECK(wp["state"] == "pending");
  CHECK(wp["attempt_index"] == "0");
  CHECK(wp["waitpoint_token"] == req.waitpoint_token);

  auto sig = signal_request(eid, req.waitpoint_id, "done", "webhook");
  REQUIRE(deliver_ok(fx, sig).effect == "buffered_for_pending_waitpoint");
  auto via_buffer = fx.backend->buffer_signal_for_pending_waitpoint(
      signal_request(eid, req.waitpoint_id, "progress", "webhook"));
  REQUIRE_MESSAGE(via_buffer.has_value(), (via_buffer ? "" : via_buffer.error().text()));
  CHECK(via_buffer->effect == "buffered_for_pending_waitpoint");
  CHECK_FALSE(via_buffer->became_eligible);
  CHECK(consistent_core(fx, eid)["public_state"] == "active");
  CHECK(waitpoint_of(fx, eid, req.waitpoint_id)["state"] == "pending");

  suspend_args s;
  s.execution_id = eid;
  s.fence = fence_of(lease);
  s.suspension_id = new_uuid();
  s.waitpoints = {activate(req.waitpoint_id)};
  s.resume_condition_json = single_on("callback", "done");
  auto out = suspend_ok(fx, s);
  REQUIRE(out.status == suspend_status::already_satisfied);
  // Both buffered signals, the one buffered directly included.
  REQUIRE(out.signals.size() == 2);
  CHECK(out.signals[0].signal_id == sig.signal_id);
  CHECK(out.signals[1].signal_name == "progress");
  // Lease kept, execution unchanged; the pending waitpoint is consumed.
  auto core = consistent_core(fx, eid);
  CHECK(core["public_state"] == "active");
  CHECK(core["current_lease_id"] == lease.lease_id);
  CHECK(fx.cmd({"EXISTS", lk::lease_current_key(eid)}).integer == 1);
  CHECK(fx.cmd({"EXISTS", lk::suspension_current_key(eid)}).integer == 0);
  CHECK(waitpoint_of(fx, eid, req.waitpoint_id)["state"] == "closed");
}

TEST_CASE("activation takes a pending waitpoint out of the expiry index") {
  valkey_fixture fx;
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  auto p = pending_ok(fx, pending_request(lease, "votes", now_ms() + 3'600'000));
  const std::string tag = tag_of(eid);
  CHECK(score_of(fx, lk::pending_waitpoint_expiry_key(tag), p.waitpoint_id).has_value());

  suspend_args s;
  s.execution_id = eid;
  s.fence = fence_of(lease);
  s.suspension_id = new_uuid();
  s.waitpoints = {activate(p.waitpoint_id)};
  s.resume_condition_json = single_on("votes");
  REQUIRE(suspend_ok(fx, s).status == suspend_status::suspended);
  CHECK(consistent_core(fx, eid)["public_state"] == "suspended");
  auto wp = waitpoint_of(fx, eid, p.waitpoint_id);
  CHECK(wp["state"] == "active");
  CHECK(wp["waitpoint_token"] == p.waitpoint_token);
  CHECK_FALSE(score_of(fx, lk::pending_waitpoint_expiry_key(tag), p.waitpoint_id).has_value());
}

TEST_CASE("buffer_signal_for_pending_waitpoint refuses an active waitpoint") {
  valkey_fixture fx;
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  auto mine = pending_ok(fx, pending_request(lease, "mine"));
  suspend_args s;
  s.execution_id = eid;
  s.fence = fence_of(lease);
  s.suspension_id = new_uuid();
  s.waitpoints = {activate(mine.waitpoint_id)};
  s.resume_condition_json = single_on("mine");
  suspend_ok(fx, s);
  CHECK(error_code(fx.backend->buffer_signal_for_pending_waitpoint(
            signal_request(eid, mine.waitpoint_id))) == "waitpoint_not_pending");
  CHECK(waitpoint_of(fx, eid, mine.waitpoint_id)["signal_count"] == "0");
}

TEST_CASE("pending waitpoint expiry and completion close them never_committed") {
  valkey_fixture fx;
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  const std::int64_t at = now_ms() + 60'000;
  auto soon = pending_ok(fx, pending_request(lease, "soon", at));
  auto later = pending_ok(fx, pending_request(lease, "later", at + 60'000));
  auto forever = pending_ok(fx, pending_request(lease, "forever"));

  REQUIRE(fx.backend->expire_pending_waitpoints(scan(7, at))->changed == 1);
  auto wp = waitpoint_of(fx, eid, soon.waitpoint_id);
  CHECK(wp["state"] == "closed");
  CHECK(wp["close_reason"] == "never_committed");
  CHECK(waitpoint_of(fx, eid, later.waitpoint_id)["state"] == "pending");
  CHECK_FALSE(score_of(fx, lk::pending_waitpoint_expiry_key(tag_of(eid)), soon.waitpoint_id)
                  .has_value());

  // The execution finishing closes the rest.
  REQUIRE(fx.backend->complete_execution(complete_request(lease)).has_value());
  CHECK(waitpoint_of(fx, eid, later.waitpoint_id)["close_reason"] == "never_committed");
  CHECK(waitpoint_of(fx, eid, forever.waitpoint_id)["state"] == "closed");
  CHECK_FALSE(score_of(fx, lk::pending_waitpoint_expiry_key(tag_of(eid)), later.waitpoint_id)
                  .has_value());
}
