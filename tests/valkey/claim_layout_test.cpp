// Claims on the Valkey layout: exec_core and attempt hashes, lease
// indexes, grant keys, queue scores; issue_claim_grant (a library function
// no production path calls) and the ff_claim_execution /
// ff_claim_resumed_execution replies claim_execution chooses between.

#include <doctest/doctest.h>

#include "tests/valkey/store_support.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("a lease lives in exec_core, the attempt hash and the lease indexes until completion") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  const std::string tag = tag_of(eid);
  auto l = acquire_lease(fx, eid, "w1");

  auto core = consistent_core(fx, eid);
  CHECK(core["lifecycle_phase"] == "active");
  CHECK(core["ownership_state"] == "leased");
  CHECK(core["eligibility_state"] == "not_applicable");
  CHECK(core["attempt_state"] == "running_attempt");
  CHECK(core["public_state"] == "active");
  CHECK(core["current_lease_id"] == l.lease_id);
  CHECK(core["current_worker_instance_id"] == "w1");
  CHECK(core["total_attempt_count"] == "1");
  CHECK_FALSE(core["started_at"].empty());
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());
  CHECK(score_of(fx, lk::lease_expiry_key(tag), eid) == l.lease_expires_at);
  CHECK(score_of(fx, lk::lane_active_key(tag, "default"), eid) == l.lease_expires_at);
  CHECK(in_set(fx, lk::worker_leases_key(tag, "w1"), eid));
  auto attempt = hash_of(fx, lk::attempt_key(eid, 0));
  CHECK(attempt["attempt_state"] == "started");
  CHECK(attempt["attempt_type"] == "initial");
  CHECK(attempt["attempt_id"] == l.attempt_id);

  renew_lease_args renew;
  renew.execution_id = eid;
  renew.fence = fence_of(l);
  renew.lease_ttl_ms = 60'000;
  auto renewed = fx.backend->renew_lease(renew);
  REQUIRE_MESSAGE(renewed.has_value(), (renewed ? "" : renewed.error().text()));
  CHECK(score_of(fx, lk::lease_expiry_key(tag), eid) == renewed->lease_expires_at);
  CHECK(core_of(fx, eid)["lease_expires_at"] == std::to_string(renewed->lease_expires_at));

  REQUIRE(fx.backend->complete_execution(complete_request(l, "the result")).has_value());
  core = consistent_core(fx, eid);
  CHECK(core["lifecycle_phase"] == "terminal");
  CHECK(core["terminal_outcome"] == "success");
  CHECK(core["ownership_state"] == "unowned");
  CHECK(core["attempt_state"] == "attempt_terminal");
  CHECK(core["public_state"] == "completed");
  CHECK_FALSE(core["completed_at"].empty());
  CHECK(hash_of(fx, lk::attempt_key(eid, 0))["attempt_state"] == "ended_success");
  CHECK(fx.cmd({"GET", lk::exec_result_key(eid)}).str == "the result");

  // Every lease index is released; the lane's terminal index and the
  // retention index (24 h by default) hold it.
  CHECK_FALSE(score_of(fx, lk::lease_expiry_key(tag), eid).has_value());
  CHECK_FALSE(score_of(fx, lk::lane_active_key(tag, "default"), eid).has_value());
  CHECK_FALSE(in_set(fx, lk::worker_leases_key(tag, "w1"), eid));
  CHECK(fx.cmd({"EXISTS", lk::lease_current_key(eid)}).integer == 0);
  CHECK(score_of(fx, lk::lane_terminal_key(tag, "default"), eid) ==
        std::stoll(core["completed_at"]));
  CHECK(score_of(fx, lk::retention_key(tag), eid) ==
        std::stoll(core["completed_at"]) + 86'400'000);
}

TEST_CASE("grant_next_in_lane writes the grant key of the granted execution") {
  valkey_fixture fx;
  const auto plain = create(fx, 3, "default", "{}", 1);
  auto req = acquire_request(3, "default", "cpu-1", "linux");
  req.grant_ttl_ms = 4000;
  auto first = fx.backend->grant_next_in_lane(req);
  REQUIRE(first.has_value());
  REQUIRE(first->granted);
  CHECK(first->grant.grant_key == lk::claim_grant_key(plain));
  auto grant = hash_of(fx, lk::claim_grant_key(plain));
  CHECK(grant["worker_id"] == "pool-cpu-1");
  CHECK(grant["worker_instance_id"] == "cpu-1");
  CHECK(fx.cmd({"PTTL", lk::claim_grant_key(plain)}).integer > 0);
  CHECK(score_of(fx, lk::lane_eligible_key("{fp:3}", "default"), plain).has_value());
}

TEST_CASE("issue_claim_grant then claim_execution") {
  valkey_fixture fx;
  const auto eid = create(fx, 9);

  claim_grant_args g;
  g.execution_id = eid;
  g.worker_id = "pool-a";
  g.worker_instance_id = "a-1";
  g.lane_id = "default";
  g.grant_ttl_ms = 5000;
  const std::int64_t before = now_ms();
  auto grant = fx.backend->issue_claim_grant(g);
  REQUIRE_MESSAGE(grant.has_value(), (grant ? "" : grant.error().text()));
  CHECK(grant->execution_id == eid.value);
  CHECK(grant->partition_key == "{fp:9}");
  CHECK(grant->grant_key == lk::claim_grant_key(eid));
  CHECK(grant->lane_id == "default");
  CHECK(grant->expires_at_ms >= before + 5000);
  CHECK(hash_of(fx, lk::claim_grant_key(eid))["worker_id"] == "pool-a");
  CHECK(fx.cmd({"PTTL", lk::claim_grant_key(eid)}).integer > 0);
  // The grant does not take it off the queue.
  CHECK(score_of(fx, lk::lane_eligible_key("{fp:9}", "default"), eid).has_value());

  auto again = fx.backend->issue_claim_grant(g);
  CHECK(error_code(again) == "grant_already_exists");

  claim_execution_args c;
  c.execution_id = eid;
  c.worker_id = "pool-b";
  c.worker_instance_id = "b-1";
  c.lane_id = "default";
  c.lease_id = new_uuid();
  c.attempt_id = new_uuid();
  auto wrong = fx.backend->claim_execution(c);
  CHECK(error_code(wrong) == "invalid_claim_grant");
  CHECK(wrong.error().kind == error_kind::contention);
  // A grant of another worker also keeps acquire away from it.
  CHECK_FALSE(acquire(fx, 9, "default", "b-1").acquired);

  c.worker_id = "pool-a";
  c.worker_instance_id = "a-1";
  auto lease = fx.backend->claim_execution(c);
  REQUIRE_MESSAGE(lease.has_value(), (lease ? "" : lease.error().text()));
  CHECK(lease->attempt_type == attempt_kind::initial);
  CHECK(lease->attempt_index == 0);
  CHECK(lease->lease_epoch == 1);
  CHECK(lease->lease_id == c.lease_id);
  CHECK(lease->input_payload == R"({"to":"a@example.com"})");
  CHECK(fx.cmd({"EXISTS", lk::claim_grant_key(eid)}).integer == 0);
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key("{fp:9}", "default"), eid).has_value());
  CHECK(consistent_core(fx, eid)["public_state"] == "active");

  auto twice = fx.backend->claim_execution(c);
  CHECK(error_code(twice) == "execution_not_leaseable");
  auto grant_active = fx.backend->issue_claim_grant(g);
  CHECK(error_code(grant_active) == "execution_not_eligible");

  // The resumed claim refuses an active execution too.
  auto not_resumed = fx.fcall_on_execution("ff_claim_resumed_execution", eid.value, claim_argv(c));
  CHECK_FALSE(not_resumed.ok);
  CHECK(not_resumed.status == "execution_not_leaseable");
}

TEST_CASE("a capability mismatch is stamped on exec_core; issue_claim_grant names the missing") {
  valkey_fixture fx;
  const auto needs_gpu = create(fx, 7, "default", "{}", 5, "cuda,gpu");
  const auto plain = create(fx, 7, "default", "{}", 0);
  CHECK(core_of(fx, needs_gpu)["last_capability_mismatch_at"].empty());

  auto first = acquire(fx, 7, "default", "cpu-1", "linux");
  REQUIRE(first.acquired);
  REQUIRE(first.lease.execution_id == plain.value);
  CHECK_FALSE(core_of(fx, needs_gpu)["last_capability_mismatch_at"].empty());
  CHECK(consistent_core(fx, needs_gpu)["public_state"] == "waiting");
  CHECK(score_of(fx, lk::lane_eligible_key("{fp:7}", "default"), needs_gpu).has_value());

  claim_grant_args g;
  g.execution_id = needs_gpu;
  g.worker_id = "pool";
  g.worker_instance_id = "cpu-1";
  g.worker_capabilities = "gpu,linux";
  auto refused = fx.backend->issue_claim_grant(g);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == "capability_mismatch");
  CHECK(refused.error().detail == "cuda");
  CHECK(refused.error().kind == error_kind::validation);
  CHECK(fx.cmd({"EXISTS", lk::claim_grant_key(needs_gpu)}).integer == 0);
}

TEST_CASE("acquire drops a queue entry whose execution does not exist") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  const std::string queue = lk::lane_eligible_key("{fp:7}", "default");
  const std::string ghost = execution_id::mint(7).value;
  fx.cmd({"ZADD", queue, "-99999999999999", ghost});

  auto got = acquire(fx, 7, "default", "w1");
  REQUIRE(got.acquired);
  CHECK(got.lease.execution_id == eid.value);
  CHECK_FALSE(score_of(fx, queue, ghost).has_value());
}

TEST_CASE("change_priority re-scores the eligible entry and stores the priority") {
  valkey_fixture fx;
  const auto a = create(fx, 7, "default", "{}", 1);
  const std::string queue = lk::lane_eligible_key("{fp:7}", "default");
  const std::int64_t created_a = std::stoll(core_of(fx, a)["created_at"]);

  change_priority_args p;
  p.execution_id = a;
  p.priority = 100;
  REQUIRE(fx.backend->change_priority(p).has_value());
  CHECK(score_of(fx, queue, a) == created_a - 100 * 1'000'000'000'000LL);
  CHECK(core_of(fx, a)["priority"] == "100");

  p.priority = 20'000;
  REQUIRE(fx.backend->change_priority(p).has_value());
  CHECK(score_of(fx, queue, a) == created_a - 9000 * 1'000'000'000'000LL);
  CHECK(core_of(fx, a)["priority"] == "9000");

  acquire_lease(fx, a);
  p.priority = 1;
  REQUIRE_FALSE(fx.backend->change_priority(p).has_value());
  CHECK(core_of(fx, a)["priority"] == "9000");
}

TEST_CASE("update_progress stamps progress_updated_at") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);
  CHECK(core_of(fx, eid)["progress_updated_at"].empty());

  progress_args p;
  p.execution_id = eid;
  p.fence = fence_of(l);
  p.pct = 50;
  p.message = "half way";
  const std::int64_t before = now_ms();
  REQUIRE(fx.backend->update_progress(p).has_value());
  auto core = core_of(fx, eid);
  CHECK(core["progress_pct"] == "50");
  CHECK(core["progress_message"] == "half way");
  REQUIRE_FALSE(core["progress_updated_at"].empty());
  CHECK(std::stoll(core["progress_updated_at"]) >= before);
}

namespace {

// What a worker delay / suspension leaves behind, written by hand:
// runnable and queued, the attempt interrupted, no lease.
void interrupt_attempt(valkey_fixture& fx, const claimed_lease& l, const std::string& remaining_ms) {
  const std::string& eid = l.execution_id;
  const std::string tag = lk::tag_of(eid);
  fx.cmd({"HSET", lk::exec_core_key(eid), "lifecycle_phase", "runnable", "ownership_state",
          "unowned", "eligibility_state", "eligible_now", "blocking_reason", "waiting_for_worker",
          "attempt_state", "attempt_interrupted", "public_state", "waiting"});
  fx.cmd({"HSET", lk::attempt_key(eid, l.attempt_index), "attempt_state", "suspended",
          "timeout_remaining_ms", remaining_ms});
  fx.cmd({"DEL", lk::lease_current_key(eid)});
  fx.cmd({"ZREM", lk::lease_expiry_key(tag), eid});
  fx.cmd({"ZREM", lk::lane_active_key(tag, "default"), eid});
  fx.cmd({"ZADD", lk::lane_eligible_key(tag, "default"), "1", eid});
}

} // namespace

TEST_CASE("an interrupted attempt: ff_claim_execution defers to the resumed claim") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  const std::string tag = tag_of(eid);
  auto l0 = acquire_lease(fx, eid);
  interrupt_attempt(fx, l0, "5000");

  claim_grant_args g;
  g.execution_id = eid;
  g.worker_id = "pool-a";
  g.worker_instance_id = "a-1";
  REQUIRE(fx.backend->issue_claim_grant(g).has_value());
  claim_execution_args c;
  c.execution_id = eid;
  c.worker_id = "pool-a";
  c.worker_instance_id = "a-1";
  c.lane_id = "default";
  c.lease_id = new_uuid();
  c.attempt_id = new_uuid();
  // The Lua answer of a fresh claim; the grant stays for the resumed claim.
  auto fresh = fx.fcall_on_execution("ff_claim_execution", eid.value, claim_argv(c));
  CHECK_FALSE(fresh.ok);
  CHECK(fresh.status == "use_claim_resumed_execution");
  CHECK(fx.cmd({"EXISTS", lk::claim_grant_key(eid)}).integer == 1);
  const std::int64_t before = now_ms();
  auto resumed = fx.backend->claim_execution(c);
  REQUIRE_MESSAGE(resumed.has_value(), (resumed ? "" : resumed.error().text()));
  CHECK(resumed->attempt_type == attempt_kind::resumed);
  CHECK(resumed->attempt_index == l0.attempt_index);
  CHECK(resumed->attempt_id == l0.attempt_id);
  CHECK(resumed->lease_epoch == 2);
  CHECK(resumed->lease_id == c.lease_id);
  auto attempt = hash_of(fx, lk::attempt_key(eid, 0));
  CHECK(attempt["attempt_state"] == "started");
  CHECK_FALSE(attempt["resumed_at"].empty());
  CHECK(attempt["lease_epoch"] == "2");
  auto timeout = score_of(fx, lk::attempt_timeout_key(tag), eid);
  REQUIRE(timeout.has_value());
  CHECK(*timeout >= before + 5000);
  CHECK(*timeout <= now_ms() + 5000);
  auto core = consistent_core(fx, eid);
  CHECK(core["total_attempt_count"] == "1");
  CHECK(core["attempt_state"] == "running_attempt");
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());

  interrupt_attempt(fx, *resumed, "1000");
  auto again = acquire(fx, 7, "default", "w2");
  REQUIRE(again.acquired);
  CHECK(again.lease.attempt_type == attempt_kind::resumed);
  CHECK(again.lease.attempt_index == 0);
  CHECK(again.lease.lease_epoch == 3);
  CHECK(error_code(fx.backend->complete_execution(complete_request(*resumed))) ==
        "stale_lease");
  REQUIRE(fx.backend->complete_execution(complete_request(again.lease)).has_value());
  CHECK(consistent_core(fx, eid)["public_state"] == "completed");
}
