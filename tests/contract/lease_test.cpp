// Lease expiry, revocation, reclaim grants and the reclaim cap.

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "tests/contract/backend_factory.hpp"
#include "tests/contract/lifecycle_support.hpp"

using namespace ff;
using namespace ff::test;

CONTRACT_TEST("an expired lease is requeued and reacquired as a new attempt; the old holder is stale") {
  const auto eid = create(fx, 7);
  auto first = acquire_lease(fx, eid, "w1", 1000);

  auto early = fx.backend->expire_leases(scan(7, first.lease_expires_at - 1));
  REQUIRE(early.has_value());
  CHECK(early->examined == 0);
  CHECK(early->changed == 0);
  CHECK(info_of(fx, eid).state.ownership_state == "leased");

  auto expired = fx.backend->expire_leases(scan(7, first.lease_expires_at));
  REQUIRE_MESSAGE(expired.has_value(), (expired ? "" : expired.error().text()));
  CHECK(expired->examined == 1);
  CHECK(expired->changed == 1);
  CHECK(expired->failed == 0);
  REQUIRE(expired->became_eligible.size() == 1);
  CHECK(expired->became_eligible[0].execution_id == eid.value);
  CHECK(expired->became_eligible[0].lane_id == "default");
  auto info = info_of(fx, eid);
  CHECK(info.state.lifecycle_phase == "active");
  CHECK(info.state.ownership_state == "lease_expired_reclaimable");
  CHECK(info.state.attempt_state == "attempt_interrupted");
  CHECK(info.state.blocking_reason == "waiting_for_worker");
  CHECK(info.state.public_state == "active");
  CHECK(read_stream(fx, eid).closed_reason == "lease_expired");

  // A second pass finds nothing left to do.
  auto again = fx.backend->expire_leases(scan(7, first.lease_expires_at + 10));
  REQUIRE(again.has_value());
  CHECK(again->changed == 0);

  // The expired holder cannot finish any more.
  CHECK(error_code(fx.backend->complete_execution(complete_request(first))) == "lease_expired");

  auto second = acquire(fx, 7, "default", "w2");
  REQUIRE(second.acquired);
  CHECK(second.lease.execution_id == eid.value);
  CHECK(second.lease.attempt_type == attempt_kind::reclaim);
  CHECK(second.lease.attempt_index == 1);
  CHECK(second.lease.lease_epoch == 2);
  info = info_of(fx, eid);
  CHECK(info.state.ownership_state == "leased");
  CHECK(info.current_attempt_index == 1);
  CHECK(read_stream(fx, eid).closed_reason == "reclaimed");
  CHECK_FALSE(acquire(fx, 7, "default", "w3").acquired);

  // The first worker's late calls are stale and change nothing.
  const auto before = describe(info_of(fx, eid));
  auto late = fx.backend->complete_execution(complete_request(first, "late"));
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error().code == "stale_lease");
  CHECK(late.error().kind == error_kind::state);
  renew_lease_args renew;
  renew.execution_id = eid;
  renew.fence = fence_of(first);
  CHECK(error_code(fx.backend->renew_lease(renew)) == "stale_lease");
  append_frame_args frame;
  frame.execution_id = eid;
  frame.fence = fence_of(first);
  frame.frame_type = "stdout";
  CHECK(error_code(fx.backend->append_frame(frame)) == "stale_owner_cannot_append");
  CHECK(describe(info_of(fx, eid)) == before);
  CHECK_FALSE(fx.backend->get_execution_result(eid)->found);

  REQUIRE(fx.backend->complete_execution(complete_request(second.lease, "ok")).has_value());
  CHECK(fx.backend->get_execution_result(eid)->bytes == "ok");
}

CONTRACT_TEST("a write path finds a lease past its expiry and marks it") {
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid, "w1", 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  renew_lease_args renew;
  renew.execution_id = eid;
  renew.fence = fence_of(l);
  CHECK(error_code(fx.backend->renew_lease(renew)) == "lease_expired");
  CHECK(info_of(fx, eid).state.ownership_state == "lease_expired_reclaimable");
  // Requeued: the next acquire reclaims it.
  auto next = acquire(fx, 7, "default", "w2");
  REQUIRE(next.acquired);
  CHECK(next.lease.execution_id == eid.value);
  CHECK(next.lease.attempt_type == attempt_kind::reclaim);
}

CONTRACT_TEST("revoke_lease: revoked once, requeued, the holder is refused") {
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);

  revoke_lease_args r;
  r.execution_id = eid;
  r.expected_lease_id = new_uuid();
  CHECK(error_code(fx.backend->revoke_lease(r)) == "stale_lease");
  CHECK(info_of(fx, eid).state.ownership_state == "leased");

  r.expected_lease_id.clear();
  auto revoked = fx.backend->revoke_lease(r);
  REQUIRE_MESSAGE(revoked.has_value(), (revoked ? "" : revoked.error().text()));
  CHECK(revoked->revoked);
  CHECK(revoked->lease_id == l.lease_id);
  CHECK(revoked->lease_epoch == 1);
  auto info = info_of(fx, eid);
  CHECK(info.state.ownership_state == "lease_revoked");
  CHECK(info.state.attempt_state == "attempt_interrupted");

  auto twice = fx.backend->revoke_lease(r);
  REQUIRE(twice.has_value());
  CHECK_FALSE(twice->revoked);
  CHECK(twice->already_satisfied == "already_revoked");

  CHECK(error_code(fx.backend->complete_execution(complete_request(l))) == "lease_revoked");
  CHECK(error_code(fx.backend->fail_execution(fail_request(l))) == "lease_revoked");

  auto next = acquire(fx, 7, "default", "w2");
  REQUIRE(next.acquired);
  CHECK(next.lease.execution_id == eid.value);
  CHECK(next.lease.attempt_type == attempt_kind::reclaim);
  CHECK(info_of(fx, eid).state.ownership_state == "leased");

  const auto waiting = create(fx, 7);
  revoke_lease_args w;
  w.execution_id = waiting;
  auto none = fx.backend->revoke_lease(w);
  REQUIRE(none.has_value());
  CHECK(none->already_satisfied == "no_active_lease");
}

CONTRACT_TEST("a reclaim grant is consumed by claim_execution as a reclaim") {
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid, "w1", 1000);

  claim_grant_args g;
  g.execution_id = eid;
  g.worker_id = "pool-r";
  g.worker_instance_id = "r-1";
  g.lane_id = "default";
  g.grant_ttl_ms = 10'000;
  auto not_yet = fx.backend->issue_reclaim_grant(g);
  REQUIRE_MESSAGE(not_yet.has_value(), (not_yet ? "" : not_yet.error().text()));
  CHECK(not_yet->status == reclaim_grant_status::not_reclaimable);
  CHECK(not_yet->detail == "execution_not_reclaimable");

  REQUIRE(fx.backend->expire_leases(scan(7, l.lease_expires_at))->changed == 1);
  auto granted = fx.backend->issue_reclaim_grant(g);
  REQUIRE_MESSAGE(granted.has_value(), (granted ? "" : granted.error().text()));
  CHECK(granted->status == reclaim_grant_status::granted);
  CHECK(granted->grant.execution_id == eid.value);
  CHECK(granted->grant.partition_key == "{fp:7}");
  CHECK(granted->grant.lane_id == "default");
  CHECK(granted->grant.expires_at_ms > now_ms());
  CHECK(error_code(fx.backend->issue_reclaim_grant(g)) == "grant_already_exists");

  auto c = claim_request(eid, "other");
  CHECK(error_code(fx.backend->claim_execution(c)) == "invalid_claim_grant");
  // The grant keeps acquire away too.
  CHECK_FALSE(acquire(fx, 7, "default", "w2").acquired);

  c.worker_id = "pool-r";
  c.worker_instance_id = "r-1";
  auto reclaimed = fx.backend->claim_execution(c);
  REQUIRE_MESSAGE(reclaimed.has_value(), (reclaimed ? "" : reclaimed.error().text()));
  CHECK(reclaimed->attempt_type == attempt_kind::reclaim);
  CHECK(reclaimed->attempt_index == 1);
  CHECK(reclaimed->lease_epoch == 2);
  CHECK(reclaimed->attempt_id == c.attempt_id);
  CHECK(reclaimed->lease_id == c.lease_id);
  auto info = info_of(fx, eid);
  CHECK(info.state.ownership_state == "leased");
  CHECK(info.current_attempt_index == 1);
  CHECK(error_code(fx.backend->claim_execution(c)) == "execution_not_leaseable");
  CHECK(read_stream(fx, eid).closed_reason == "reclaimed");

  g.worker_capabilities = "";
  const auto needs = create(fx, 8, "default", "{}", 0, "tpu");
  auto lt = acquire(fx, 8, "default", "t-1", "tpu", 1000);
  REQUIRE(lt.acquired);
  REQUIRE(fx.backend->expire_leases(scan(8, lt.lease.lease_expires_at))->changed == 1);
  g.execution_id = needs;
  auto mismatch = fx.backend->issue_reclaim_grant(g);
  REQUIRE(mismatch.has_value());
  CHECK(mismatch->status == reclaim_grant_status::not_reclaimable);
  CHECK(mismatch->detail == "capability_mismatch: tpu");
}

CONTRACT_TEST("the reclaim cap ends an execution that keeps losing its lease") {
  const auto eid = create(fx, 7, "default", R"({"max_reclaim_count":1})");
  auto l0 = acquire_lease(fx, eid, "w1", 1000);
  auto e1 = fx.backend->expire_leases(scan(7, l0.lease_expires_at));
  REQUIRE(e1.has_value());
  CHECK(e1->became_eligible.size() == 1);

  auto l1 = acquire_lease(fx, eid, "w2", 1000);
  CHECK(l1.attempt_type == attempt_kind::reclaim);
  auto e2 = fx.backend->expire_leases(scan(7, l1.lease_expires_at));
  REQUIRE(e2.has_value());
  CHECK(e2->changed == 1);
  CHECK(e2->failed == 1);
  CHECK(e2->became_eligible.empty());
  auto info = info_of(fx, eid);
  CHECK(info.state.terminal_outcome == "failed");
  CHECK(info.state.public_state == "failed");
  CHECK(info.last_error_message == "max_reclaims_exceeded");
  CHECK_FALSE(acquire(fx, 7, "default", "w3").acquired);
  // A reclaim grant past the cap reports it.
  claim_grant_args g;
  g.execution_id = eid;
  g.worker_id = "pool-r";
  g.worker_instance_id = "r-1";
  g.lane_id = "default";
  auto capped = fx.backend->issue_reclaim_grant(g);
  REQUIRE(capped.has_value());
  CHECK(capped->status == reclaim_grant_status::not_reclaimable);
}

CONTRACT_TEST("a reclaim claim past the claimer's reclaim cap fails the execution") {
  const auto eid = create(fx, 7);
  auto l0 = acquire_lease(fx, eid, "w1", 1000);
  REQUIRE(fx.backend->expire_leases(scan(7, l0.lease_expires_at))->changed == 1);
  auto l1 = acquire_lease(fx, eid, "w2", 1000);
  REQUIRE(l1.attempt_type == attempt_kind::reclaim);
  REQUIRE(fx.backend->expire_leases(scan(7, l1.lease_expires_at))->became_eligible.size() == 1);

  claim_grant_args g;
  g.execution_id = eid;
  g.worker_id = "pool-r-1";
  g.worker_instance_id = "r-1";
  g.lane_id = "default";
  REQUIRE(fx.backend->issue_reclaim_grant(g)->status == reclaim_grant_status::granted);
  // One reclaim already happened; this claimer allows one only.
  auto c = claim_request(eid, "r-1");
  c.default_max_reclaim_count = 1;
  auto capped = fx.backend->claim_execution(c);
  REQUIRE_FALSE(capped.has_value());
  CHECK(capped.error().code == "max_retries_exhausted");
  auto info = info_of(fx, eid);
  CHECK(info.state.terminal_outcome == "failed");
  CHECK(info.last_error_message == "max_reclaims_exceeded");
  CHECK_FALSE(acquire(fx, 7, "default", "w3").acquired);
}
