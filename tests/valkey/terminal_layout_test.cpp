// Retry, failure, cancel and replay on the Valkey layout: exec_core
// counters, attempt hashes, the delayed / terminal / retention indexes.

#include <doctest/doctest.h>

#include "tests/valkey/store_support.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("retries: counters, attempt hashes, the delayed and terminal indexes") {
  valkey_fixture fx;
  const auto eid = create(fx, 7, "default", two_fixed_retries);
  const std::string tag = tag_of(eid);
  const std::string delayed = lk::lane_delayed_key(tag, "default");

  auto l0 = acquire_lease(fx, eid);
  auto first = fail_ok(fx, fail_request(l0, "timeout talking to smtp"));
  REQUIRE(first.outcome == fail_disposition::retry_scheduled);
  auto core = consistent_core(fx, eid);
  CHECK(core["lifecycle_phase"] == "runnable");
  CHECK(core["eligibility_state"] == "not_eligible_until_time");
  CHECK(core["blocking_reason"] == "waiting_for_retry_backoff");
  CHECK(core["attempt_state"] == "pending_retry_attempt");
  CHECK(core["public_state"] == "delayed");
  CHECK(core["retry_count"] == "1");
  CHECK(core["delay_until"] == std::to_string(first.retry_at));
  CHECK(core["failure_reason"] == "timeout talking to smtp");
  CHECK(score_of(fx, delayed, eid) == first.retry_at);
  CHECK_FALSE(score_of(fx, lk::lease_expiry_key(tag), eid).has_value());
  auto attempt0 = hash_of(fx, lk::attempt_key(eid, 0));
  CHECK(attempt0["attempt_state"] == "ended_failure");
  CHECK(attempt0["failure_reason"] == "timeout talking to smtp");
  CHECK(attempt0["failure_category"] == "test");

  REQUIRE(fx.backend->promote_delayed(scan(7, first.retry_at - 1))->changed == 0);
  CHECK(consistent_core(fx, eid)["public_state"] == "delayed");
  REQUIRE(fx.backend->promote_delayed(scan(7, first.retry_at))->changed == 1);
  core = consistent_core(fx, eid);
  CHECK(core["public_state"] == "waiting");
  CHECK(core["attempt_state"] == "pending_retry_attempt");
  CHECK(core["delay_until"].empty());
  CHECK_FALSE(score_of(fx, delayed, eid).has_value());
  CHECK(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());

  auto l1 = acquire_lease(fx, eid);
  auto attempt1 = hash_of(fx, lk::attempt_key(eid, 1));
  CHECK(attempt1["attempt_type"] == "retry");
  CHECK(attempt1["retry_reason"] == "timeout talking to smtp");
  CHECK(attempt1["previous_attempt_index"] == "0");

  auto second = fail_ok(fx, fail_request(l1, "again"));
  REQUIRE(second.outcome == fail_disposition::retry_scheduled);
  CHECK(core_of(fx, eid)["retry_count"] == "2");
  REQUIRE(fx.backend->promote_delayed(scan(7, second.retry_at))->changed == 1);

  auto l2 = acquire_lease(fx, eid);
  REQUIRE(fail_ok(fx, fail_request(l2, "gave up")).outcome == fail_disposition::failed);
  core = consistent_core(fx, eid);
  CHECK(core["lifecycle_phase"] == "terminal");
  CHECK(core["terminal_outcome"] == "failed");
  CHECK(core["public_state"] == "failed");
  CHECK(core["failure_reason"] == "gave up");
  CHECK(core["retry_count"] == "2");
  CHECK(core["total_attempt_count"] == "3");
  CHECK(score_of(fx, lk::lane_terminal_key(tag, "default"), eid).has_value());
  CHECK_FALSE(score_of(fx, delayed, eid).has_value());
}

TEST_CASE("a terminal failure without a retry policy: no retry counted, the attempt ended") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);
  REQUIRE(fail_ok(fx, fail_request(l)).outcome == fail_disposition::failed);
  auto core = consistent_core(fx, eid);
  CHECK(core["public_state"] == "failed");
  CHECK(core["retry_count"] == "0");
  CHECK(hash_of(fx, lk::attempt_key(eid, 0))["attempt_state"] == "ended_failure");
  CHECK(score_of(fx, lk::lane_terminal_key(tag_of(eid), "default"), eid).has_value());
}

TEST_CASE("a replayed terminal call rewrites no exec_core field") {
  valkey_fixture fx;
  SUBCASE("complete") {
    const auto eid = create(fx, 7);
    auto l = acquire_lease(fx, eid);
    REQUIRE(fx.backend->complete_execution(complete_request(l, "first")).has_value());
    const auto core_before = core_of(fx, eid);
    REQUIRE(fx.backend->complete_execution(complete_request(l, "first"))->replayed);
    CHECK(core_of(fx, eid) == core_before);
    CHECK(fx.cmd({"GET", lk::exec_result_key(eid)}).str == "first");
  }
  SUBCASE("fail with a retry scheduled") {
    const auto eid = create(fx, 7, "default", two_fixed_retries);
    auto l = acquire_lease(fx, eid);
    REQUIRE(fail_ok(fx, fail_request(l)).outcome == fail_disposition::retry_scheduled);
    const auto core_before = core_of(fx, eid);
    REQUIRE(fail_ok(fx, fail_request(l)).replayed);
    CHECK(core_of(fx, eid) == core_before);
    CHECK(core_before.at("retry_count") == "1");
  }
}

TEST_CASE("cancel of a running execution: exec_core, the attempt, the lease indexes") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  const std::string tag = tag_of(eid);
  acquire_lease(fx, eid);

  cancel_args c;
  c.execution_id = eid;
  c.reason = "user asked";
  REQUIRE(fx.backend->cancel_execution(c).has_value());
  auto core = consistent_core(fx, eid);
  CHECK(core["terminal_outcome"] == "cancelled");
  CHECK(core["public_state"] == "cancelled");
  CHECK(core["cancellation_reason"] == "user asked");
  CHECK(core["cancelled_by"] == "operator_override");
  CHECK(hash_of(fx, lk::attempt_key(eid, 0))["attempt_state"] == "ended_cancelled");
  CHECK_FALSE(score_of(fx, lk::lease_expiry_key(tag), eid).has_value());
  CHECK_FALSE(in_set(fx, lk::worker_leases_key(tag, "w1"), eid));
  CHECK(score_of(fx, lk::lane_terminal_key(tag, "default"), eid).has_value());
}

TEST_CASE("cancel records who cancelled; a waiting execution leaves its queue") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);
  cancel_args c;
  c.execution_id = eid;
  c.reason = "worker gave up";
  c.source = "lease_holder";
  c.fence = fence_of(l);
  REQUIRE(fx.backend->cancel_execution(c).has_value());
  CHECK(core_of(fx, eid)["cancelled_by"] == "lease_holder");

  const auto waiting = create(fx, 7);
  cancel_args w;
  w.execution_id = waiting;
  w.reason = "not needed";
  REQUIRE(fx.backend->cancel_execution(w).has_value());
  auto core = consistent_core(fx, waiting);
  CHECK(core["public_state"] == "cancelled");
  CHECK(core["attempt_state"] == "pending_first_attempt");
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key("{fp:7}", "default"), waiting).has_value());
  CHECK(score_of(fx, lk::lane_terminal_key("{fp:7}", "default"), waiting).has_value());
}

TEST_CASE("replay: back in the queue, out of the terminal and retention indexes") {
  valkey_fixture fx;
  const auto eid = create(fx, 7, "default", R"({"max_replay_count":1})");
  const std::string tag = tag_of(eid);
  auto l0 = acquire_lease(fx, eid);
  REQUIRE(fx.backend->complete_execution(complete_request(l0, "v1")).has_value());
  CHECK(score_of(fx, lk::retention_key(tag), eid).has_value());

  replay_args r;
  r.execution_id = eid;
  r.reason = "rerun";
  r.requested_by = "ops";
  REQUIRE(fx.backend->replay_execution(r).has_value());
  auto core = consistent_core(fx, eid);
  CHECK(core["lifecycle_phase"] == "runnable");
  CHECK(core["attempt_state"] == "pending_replay_attempt");
  CHECK(core["completed_at"].empty());
  CHECK(core["terminal_outcome"] == "none");
  CHECK(core["replay_count"] == "1");
  CHECK(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());
  CHECK_FALSE(score_of(fx, lk::lane_terminal_key(tag, "default"), eid).has_value());
  CHECK_FALSE(score_of(fx, lk::retention_key(tag), eid).has_value());

  acquire_lease(fx, eid);
  auto attempt1 = hash_of(fx, lk::attempt_key(eid, 1));
  CHECK(attempt1["attempt_type"] == "replay");
  CHECK(attempt1["replay_reason"] == "rerun");
  CHECK(attempt1["replay_requested_by"] == "ops");
  CHECK(attempt1["replayed_from_attempt_index"] == "0");
  CHECK(consistent_core(fx, eid)["public_state"] == "active");
}
