// Lease expiry, revocation and reclaim against a real redis-server.

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "tests/backend/lifecycle_support.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("an expired lease is requeued and reacquired as a new attempt; the old holder is stale") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  const std::string tag = tag_of(eid);
  auto first = acquire_lease(fx, eid, "w1", 1000);

  auto early = fx.backend->expire_leases(scan(7, first.lease_expires_at - 1));
  REQUIRE(early.has_value());
  CHECK(early->examined == 0);
  CHECK(early->changed == 0);
  CHECK(consistent_core(fx, eid)["ownership_state"] == "leased");

  auto expired = fx.backend->expire_leases(scan(7, first.lease_expires_at));
  REQUIRE_MESSAGE(expired.has_value(), (expired ? "" : expired.error().text()));
  CHECK(expired->examined == 1);
  CHECK(expired->changed == 1);
  CHECK(expired->failed == 0);
  REQUIRE(expired->became_eligible.size() == 1);
  CHECK(expired->became_eligible[0].execution_id == eid);
  CHECK(expired->became_eligible[0].lane_id == "default");
  auto core = consistent_core(fx, eid);
  CHECK(core["lifecycle_phase"] == "active");
  CHECK(core["ownership_state"] == "lease_expired_reclaimable");
  CHECK(core["attempt_state"] == "attempt_interrupted");
  CHECK(core["blocking_reason"] == "waiting_for_worker");
  CHECK(core["public_state"] == "active");
  CHECK(core["lease_expired_at"] == std::to_string(first.lease_expires_at));
  CHECK(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());
  CHECK_FALSE(score_of(fx, lk::lease_expiry_key(tag), eid).has_value());
  read_stream_args read;
  read.execution_id = eid;
  CHECK(fx.backend->read_attempt_stream(read)->closed_reason == "lease_expired");

  // A second pass finds nothing left to do.
  auto again = fx.backend->expire_leases(scan(7, first.lease_expires_at + 10));
  REQUIRE(again.has_value());
  CHECK(again->changed == 0);

  // The expired holder cannot finish any more.
  CHECK(error_code(fx.backend->complete_execution(complete_request(first))) == "lease_expired");

  auto second = acquire(fx, 7, "default", "w2");
  REQUIRE(second.acquired);
  CHECK(second.lease.execution_id == eid);
  CHECK(second.lease.attempt_type == "reclaim");
  CHECK(second.lease.attempt_index == 1);
  CHECK(second.lease.lease_epoch == 2);
  core = consistent_core(fx, eid);
  CHECK(core["ownership_state"] == "leased");
  CHECK(core["lease_reclaim_count"] == "1");
  CHECK(core["current_worker_instance_id"] == "w2");
  CHECK(hash_of(fx, lk::attempt_key(eid, 0))["attempt_state"] == "interrupted_reclaimed");
  auto attempt1 = hash_of(fx, lk::attempt_key(eid, 1));
  CHECK(attempt1["attempt_type"] == "reclaim");
  CHECK(attempt1["reclaim_reason"] == "lease_lease_expired_reclaimable");
  CHECK(attempt1["previous_attempt_index"] == "0");
  CHECK(fx.backend->read_attempt_stream(read)->closed_reason == "reclaimed");
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());
  CHECK(in_set(fx, lk::worker_leases_key(tag, "w2"), eid));
  CHECK_FALSE(in_set(fx, lk::worker_leases_key(tag, "w1"), eid));

  // The first worker's late calls are stale and change nothing.
  const auto before = core_of(fx, eid);
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
  CHECK(core_of(fx, eid) == before);
  CHECK_FALSE(fx.backend->get_execution_result(eid)->found);

  REQUIRE(fx.backend->complete_execution(complete_request(second.lease, "ok")).has_value());
  CHECK(fx.backend->get_execution_result(eid)->bytes == "ok");
}

TEST_CASE("a write path finds a lease past its expiry and marks it") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  auto l = acquire_lease(fx, eid, "w1", 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  renew_lease_args renew;
  renew.execution_id = eid;
  renew.fence = fence_of(l);
  CHECK(error_code(fx.backend->renew_lease(renew)) == "lease_expired");
  auto core = consistent_core(fx, eid);
  CHECK(core["ownership_state"] == "lease_expired_reclaimable");
  CHECK(score_of(fx, lk::lane_eligible_key("{fp:7}", "default"), eid).has_value());
}

TEST_CASE("mark_lease_expired_if_due outcomes") {
  valkey_fixture fx;
  const std::string waiting = create(fx, 7);
  auto not_active = fx.backend->mark_lease_expired_if_due(waiting);
  REQUIRE(not_active.has_value());
  CHECK(not_active->outcome == "not_active");

  auto l = acquire_lease(fx, waiting, "w1", 60'000);
  CHECK(fx.backend->mark_lease_expired_if_due(waiting)->outcome == "not_yet_expired");
  CHECK(core_of(fx, waiting)["ownership_state"] == "leased");
  (void)l;

  const std::string short_lived = create(fx, 8);
  acquire_lease(fx, short_lived, "w1", 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(fx.backend->mark_lease_expired_if_due(short_lived)->outcome == "marked_expired");
  CHECK(consistent_core(fx, short_lived)["ownership_state"] == "lease_expired_reclaimable");
  CHECK(fx.backend->mark_lease_expired_if_due(short_lived)->outcome == "already_expired");

  CHECK(fx.backend->mark_lease_expired_if_due(execution_id::mint(7).value)->outcome ==
        "execution_not_found");
}

TEST_CASE("revoke_lease: revoked once, requeued, the holder is refused") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  const std::string tag = tag_of(eid);
  auto l = acquire_lease(fx, eid);

  revoke_lease_args r;
  r.execution_id = eid;
  r.expected_lease_id = new_uuid();
  CHECK(error_code(fx.backend->revoke_lease(r)) == "stale_lease");
  CHECK(core_of(fx, eid)["ownership_state"] == "leased");

  r.expected_lease_id.clear();
  auto revoked = fx.backend->revoke_lease(r);
  REQUIRE_MESSAGE(revoked.has_value(), (revoked ? "" : revoked.error().text()));
  CHECK(revoked->revoked);
  CHECK(revoked->lease_id == l.lease_id);
  CHECK(revoked->lease_epoch == 1);
  auto core = consistent_core(fx, eid);
  CHECK(core["ownership_state"] == "lease_revoked");
  CHECK(core["attempt_state"] == "attempt_interrupted");
  CHECK(core["lease_revoke_reason"] == "operator_revoke");
  CHECK_FALSE(core["lease_revoked_at"].empty());
  CHECK(fx.cmd({"EXISTS", lk::lease_current_key(eid)}).integer == 0);
  CHECK_FALSE(score_of(fx, lk::lease_expiry_key(tag), eid).has_value());
  CHECK_FALSE(in_set(fx, lk::worker_leases_key(tag, "w1"), eid));
  CHECK(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());

  auto twice = fx.backend->revoke_lease(r);
  REQUIRE(twice.has_value());
  CHECK_FALSE(twice->revoked);
  CHECK(twice->already_satisfied == "already_revoked");

  CHECK(error_code(fx.backend->complete_execution(complete_request(l))) == "lease_revoked");
  CHECK(error_code(fx.backend->fail_execution(fail_request(l))) == "lease_revoked");

  auto next = acquire(fx, 7, "default", "w2");
  REQUIRE(next.acquired);
  CHECK(next.lease.attempt_type == "reclaim");
  CHECK(hash_of(fx, lk::attempt_key(eid, 1))["reclaim_reason"] == "lease_lease_revoked");
  CHECK(consistent_core(fx, eid)["lease_revoked_at"].empty());

  const std::string waiting = create(fx, 7);
  revoke_lease_args w;
  w.execution_id = waiting;
  auto none = fx.backend->revoke_lease(w);
  REQUIRE(none.has_value());
  CHECK(none->already_satisfied == "no_active_lease");
}

TEST_CASE("reclaim grant then reclaim_execution") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  auto l = acquire_lease(fx, eid, "w1", 1000);

  claim_grant_args g;
  g.execution_id = eid;
  g.worker_id = "pool-r";
  g.worker_instance_id = "r-1";
  g.lane_id = "default";
  g.grant_ttl_ms = 10'000;
  auto not_yet = fx.backend->issue_reclaim_grant(g);
  REQUIRE_MESSAGE(not_yet.has_value(), (not_yet ? "" : not_yet.error().text()));
  CHECK(not_yet->status == "not_reclaimable");
  CHECK(not_yet->detail == "execution_not_reclaimable");

  REQUIRE(fx.backend->expire_leases(scan(7, l.lease_expires_at))->changed == 1);
  auto granted = fx.backend->issue_reclaim_grant(g);
  REQUIRE_MESSAGE(granted.has_value(), (granted ? "" : granted.error().text()));
  CHECK(granted->status == "granted");
  CHECK(granted->grant.execution_id == eid);
  CHECK(granted->grant.partition_key == "{fp:7}");
  CHECK(granted->grant.lane_id == "default");
  CHECK(granted->grant.expires_at_ms > now_ms());
  CHECK(error_code(fx.backend->issue_reclaim_grant(g)) == "grant_already_exists");

  claim_execution_args c;
  c.execution_id = eid;
  c.worker_id = "pool-other";
  c.worker_instance_id = "o-1";
  c.lane_id = "default";
  c.lease_id = new_uuid();
  c.attempt_id = new_uuid();
  CHECK(error_code(fx.backend->reclaim_execution(c)) == "invalid_claim_grant");

  c.worker_id = "pool-r";
  c.worker_instance_id = "r-1";
  auto reclaimed = fx.backend->reclaim_execution(c);
  REQUIRE_MESSAGE(reclaimed.has_value(), (reclaimed ? "" : reclaimed.error().text()));
  CHECK(reclaimed->attempt_type == "reclaim");
  CHECK(reclaimed->attempt_index == 1);
  CHECK(reclaimed->lease_epoch == 2);
  CHECK(reclaimed->attempt_id == c.attempt_id);
  auto core = consistent_core(fx, eid);
  CHECK(core["current_worker_instance_id"] == "r-1");
  CHECK(core["lease_reclaim_count"] == "1");
  CHECK(fx.cmd({"EXISTS", lk::claim_grant_key(eid)}).integer == 0);
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key("{fp:7}", "default"), eid).has_value());
  CHECK(error_code(fx.backend->reclaim_execution(c)) == "execution_not_reclaimable");

  g.worker_capabilities = "";
  const std::string needs = create(fx, 8, "default", "{}", 0, "tpu");
  auto lt = acquire(fx, 8, "default", "t-1", "tpu", 1000);
  REQUIRE(lt.acquired);
  REQUIRE(fx.backend->expire_leases(scan(8, lt.lease.lease_expires_at))->changed == 1);
  g.execution_id = needs;
  auto mismatch = fx.backend->issue_reclaim_grant(g);
  REQUIRE(mismatch.has_value());
  CHECK(mismatch->status == "not_reclaimable");
  CHECK(mismatch->detail == "capability_mismatch: tpu");
}

TEST_CASE("the reclaim cap ends an execution that keeps losing its lease") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7, "default", R"({"max_reclaim_count":1})");
  const std::string tag = tag_of(eid);
  auto l0 = acquire_lease(fx, eid, "w1", 1000);
  auto e1 = fx.backend->expire_leases(scan(7, l0.lease_expires_at));
  REQUIRE(e1.has_value());
  CHECK(e1->became_eligible.size() == 1);

  auto l1 = acquire_lease(fx, eid, "w2", 1000);
  CHECK(l1.attempt_type == "reclaim");
  auto e2 = fx.backend->expire_leases(scan(7, l1.lease_expires_at));
  REQUIRE(e2.has_value());
  CHECK(e2->changed == 1);
  CHECK(e2->failed == 1);
  CHECK(e2->became_eligible.empty());
  auto core = consistent_core(fx, eid);
  CHECK(core["terminal_outcome"] == "failed");
  CHECK(core["failure_reason"] == "max_reclaims_exceeded");
  CHECK(hash_of(fx, lk::attempt_key(eid, 1))["attempt_state"] == "ended_failure");
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());
  CHECK(score_of(fx, lk::lane_terminal_key(tag, "default"), eid).has_value());
  CHECK_FALSE(acquire(fx, 7, "default", "w3").acquired);
}
