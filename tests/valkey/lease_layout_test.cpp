// Lease expiry, revocation and reclaim on the Valkey layout: lease
// indexes, exec_core and attempt hashes; mark_lease_expired_if_due and
// reclaim_execution (library functions no production path calls).

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "tests/valkey/store_support.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("lease expiry and reclaim: exec_core, attempt hashes and indexes") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  const std::string tag = tag_of(eid);
  auto first = acquire_lease(fx, eid, "w1", 1000);

  REQUIRE(fx.backend->expire_leases(scan(7, first.lease_expires_at - 1))->changed == 0);
  CHECK(consistent_core(fx, eid)["ownership_state"] == "leased");
  REQUIRE(fx.backend->expire_leases(scan(7, first.lease_expires_at))->changed == 1);
  auto core = consistent_core(fx, eid);
  CHECK(core["lifecycle_phase"] == "active");
  CHECK(core["ownership_state"] == "lease_expired_reclaimable");
  CHECK(core["attempt_state"] == "attempt_interrupted");
  CHECK(core["blocking_reason"] == "waiting_for_worker");
  CHECK(core["public_state"] == "active");
  CHECK(core["lease_expired_at"] == std::to_string(first.lease_expires_at));
  CHECK(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());
  CHECK_FALSE(score_of(fx, lk::lease_expiry_key(tag), eid).has_value());

  auto second = acquire(fx, 7, "default", "w2");
  REQUIRE(second.acquired);
  REQUIRE(second.lease.execution_id == eid.value);
  core = consistent_core(fx, eid);
  CHECK(core["ownership_state"] == "leased");
  CHECK(core["lease_reclaim_count"] == "1");
  CHECK(core["current_worker_instance_id"] == "w2");
  CHECK(hash_of(fx, lk::attempt_key(eid, 0))["attempt_state"] == "interrupted_reclaimed");
  auto attempt1 = hash_of(fx, lk::attempt_key(eid, 1));
  CHECK(attempt1["attempt_type"] == "reclaim");
  CHECK(attempt1["reclaim_reason"] == "lease_lease_expired_reclaimable");
  CHECK(attempt1["previous_attempt_index"] == "0");
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());
  CHECK(in_set(fx, lk::worker_leases_key(tag, "w2"), eid));
  CHECK_FALSE(in_set(fx, lk::worker_leases_key(tag, "w1"), eid));

  // The first worker's late calls change no stored field.
  const auto before = core_of(fx, eid);
  REQUIRE_FALSE(fx.backend->complete_execution(complete_request(first, "late")).has_value());
  renew_lease_args renew;
  renew.execution_id = eid;
  renew.fence = fence_of(first);
  REQUIRE_FALSE(fx.backend->renew_lease(renew).has_value());
  CHECK(core_of(fx, eid) == before);
  CHECK(fx.cmd({"EXISTS", lk::exec_result_key(eid)}).integer == 0);
}

TEST_CASE("a write path that finds a lease past its expiry requeues it") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid, "w1", 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  renew_lease_args renew;
  renew.execution_id = eid;
  renew.fence = fence_of(l);
  REQUIRE(error_code(fx.backend->renew_lease(renew)) == "lease_expired");
  auto core = consistent_core(fx, eid);
  CHECK(core["ownership_state"] == "lease_expired_reclaimable");
  CHECK(score_of(fx, lk::lane_eligible_key("{fp:7}", "default"), eid).has_value());
  CHECK_FALSE(score_of(fx, lk::lease_expiry_key("{fp:7}"), eid).has_value());
}

TEST_CASE("mark_lease_expired_if_due outcomes") {
  valkey_fixture fx;
  const auto waiting = create(fx, 7);
  auto not_active = fx.backend->mark_lease_expired_if_due(waiting);
  REQUIRE(not_active.has_value());
  CHECK(not_active->outcome == "not_active");

  auto l = acquire_lease(fx, waiting, "w1", 60'000);
  CHECK(fx.backend->mark_lease_expired_if_due(waiting)->outcome == "not_yet_expired");
  CHECK(core_of(fx, waiting)["ownership_state"] == "leased");
  (void)l;

  const auto short_lived = create(fx, 8);
  acquire_lease(fx, short_lived, "w1", 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(fx.backend->mark_lease_expired_if_due(short_lived)->outcome == "marked_expired");
  CHECK(consistent_core(fx, short_lived)["ownership_state"] == "lease_expired_reclaimable");
  CHECK(fx.backend->mark_lease_expired_if_due(short_lived)->outcome == "already_expired");

  CHECK(fx.backend->mark_lease_expired_if_due(execution_id::mint(7))->outcome ==
        "execution_not_found");
}

TEST_CASE("revoke_lease: exec_core, lease key and indexes") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  const std::string tag = tag_of(eid);
  acquire_lease(fx, eid);

  revoke_lease_args r;
  r.execution_id = eid;
  r.expected_lease_id = new_uuid();
  REQUIRE(error_code(fx.backend->revoke_lease(r)) == "stale_lease");
  CHECK(core_of(fx, eid)["ownership_state"] == "leased");
  CHECK(fx.cmd({"EXISTS", lk::lease_current_key(eid)}).integer == 1);

  r.expected_lease_id.clear();
  REQUIRE(fx.backend->revoke_lease(r).has_value());
  auto core = consistent_core(fx, eid);
  CHECK(core["ownership_state"] == "lease_revoked");
  CHECK(core["attempt_state"] == "attempt_interrupted");
  CHECK(core["lease_revoke_reason"] == "operator_revoke");
  CHECK_FALSE(core["lease_revoked_at"].empty());
  CHECK(fx.cmd({"EXISTS", lk::lease_current_key(eid)}).integer == 0);
  CHECK_FALSE(score_of(fx, lk::lease_expiry_key(tag), eid).has_value());
  CHECK_FALSE(in_set(fx, lk::worker_leases_key(tag, "w1"), eid));
  CHECK(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());

  auto next = acquire(fx, 7, "default", "w2");
  REQUIRE(next.acquired);
  CHECK(hash_of(fx, lk::attempt_key(eid, 1))["reclaim_reason"] == "lease_lease_revoked");
  CHECK(consistent_core(fx, eid)["lease_revoked_at"].empty());
}

TEST_CASE("reclaim grant then reclaim_execution") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid, "w1", 1000);

  claim_grant_args g;
  g.execution_id = eid;
  g.worker_id = "pool-r";
  g.worker_instance_id = "r-1";
  g.lane_id = "default";
  g.grant_ttl_ms = 10'000;
  REQUIRE(fx.backend->expire_leases(scan(7, l.lease_expires_at))->changed == 1);
  auto granted = fx.backend->issue_reclaim_grant(g);
  REQUIRE_MESSAGE(granted.has_value(), (granted ? "" : granted.error().text()));
  REQUIRE(granted->status == reclaim_grant_status::granted);
  CHECK(granted->grant.grant_key == lk::claim_grant_key(eid));
  CHECK(hash_of(fx, lk::claim_grant_key(eid))["worker_id"] == "pool-r");

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
  CHECK(reclaimed->attempt_type == attempt_kind::reclaim);
  CHECK(reclaimed->attempt_index == 1);
  CHECK(reclaimed->lease_epoch == 2);
  CHECK(reclaimed->attempt_id == c.attempt_id);
  auto core = consistent_core(fx, eid);
  CHECK(core["current_worker_instance_id"] == "r-1");
  CHECK(core["lease_reclaim_count"] == "1");
  CHECK(fx.cmd({"EXISTS", lk::claim_grant_key(eid)}).integer == 0);
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key("{fp:7}", "default"), eid).has_value());
  CHECK(error_code(fx.backend->reclaim_execution(c)) == "execution_not_reclaimable");
}

TEST_CASE("claim_execution of a reclaim grant writes the reclaim like reclaim_execution") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid, "w1", 1000);
  REQUIRE(fx.backend->expire_leases(scan(7, l.lease_expires_at))->changed == 1);
  claim_grant_args g;
  g.execution_id = eid;
  g.worker_id = "pool-r-1"; // as claim_request names the worker
  g.worker_instance_id = "r-1";
  g.lane_id = "default";
  REQUIRE(fx.backend->issue_reclaim_grant(g)->status == reclaim_grant_status::granted);
  auto reclaimed = fx.backend->claim_execution(claim_request(eid, "r-1"));
  REQUIRE_MESSAGE(reclaimed.has_value(), (reclaimed ? "" : reclaimed.error().text()));
  REQUIRE(reclaimed->attempt_type == attempt_kind::reclaim);
  auto core = consistent_core(fx, eid);
  CHECK(core["current_worker_instance_id"] == "r-1");
  CHECK(core["lease_reclaim_count"] == "1");
  CHECK(fx.cmd({"EXISTS", lk::claim_grant_key(eid)}).integer == 0);
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key("{fp:7}", "default"), eid).has_value());
  CHECK(hash_of(fx, lk::attempt_key(eid, 0))["attempt_state"] == "interrupted_reclaimed");
  CHECK(hash_of(fx, lk::attempt_key(eid, 1))["attempt_type"] == "reclaim");
}

TEST_CASE("the reclaim cap: the failing attempt and the terminal index") {
  valkey_fixture fx;
  const auto eid = create(fx, 7, "default", R"({"max_reclaim_count":1})");
  const std::string tag = tag_of(eid);
  auto l0 = acquire_lease(fx, eid, "w1", 1000);
  REQUIRE(fx.backend->expire_leases(scan(7, l0.lease_expires_at))->changed == 1);
  auto l1 = acquire_lease(fx, eid, "w2", 1000);
  REQUIRE(fx.backend->expire_leases(scan(7, l1.lease_expires_at))->failed == 1);
  auto core = consistent_core(fx, eid);
  CHECK(core["terminal_outcome"] == "failed");
  CHECK(core["failure_reason"] == "max_reclaims_exceeded");
  CHECK(hash_of(fx, lk::attempt_key(eid, 1))["attempt_state"] == "ended_failure");
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());
  CHECK(score_of(fx, lk::lane_terminal_key(tag, "default"), eid).has_value());
}
