// Fail with retry, terminal failure, cancel, replay and the idempotency of
// terminal operations against a real redis-server.

#include <doctest/doctest.h>

#include "tests/backend/lifecycle_support.hpp"

using namespace ff;
using namespace ff::test;

namespace {

const char* two_fixed_retries =
    R"({"retry_policy":{"max_retries":2,"backoff":{"type":"fixed","delay_ms":60000}}})";

fail_outcome fail_ok(valkey_fixture& fx, const fail_args& f) {
  auto r = fx.backend->fail_execution(f);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

} // namespace

TEST_CASE("retry with two fixed-backoff retries, then a terminal failure") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7, "default", two_fixed_retries);
  const std::string tag = tag_of(eid);
  const std::string delayed = lk::lane_delayed_key(tag, "default");

  auto l0 = acquire_lease(fx, eid);
  const std::int64_t before = now_ms();
  auto first = fail_ok(fx, fail_request(l0, "timeout talking to smtp"));
  CHECK(first.outcome == "retry_scheduled");
  CHECK(first.retry_at >= before + 60'000);
  CHECK(first.retry_at <= now_ms() + 60'000);
  CHECK_FALSE(first.replayed);

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
  read_stream_args read;
  read.execution_id = eid;
  auto closed = fx.backend->read_attempt_stream(read);
  REQUIRE(closed.has_value());
  CHECK(closed->closed_reason == "attempt_failure");

  // Not claimable before retry_at.
  CHECK_FALSE(acquire(fx, 7, "default", "w1").acquired);
  auto early = fx.backend->promote_delayed(scan(7, first.retry_at - 1));
  REQUIRE(early.has_value());
  CHECK(early->changed == 0);
  CHECK(early->became_eligible.empty());
  CHECK(consistent_core(fx, eid)["public_state"] == "delayed");

  auto promoted = fx.backend->promote_delayed(scan(7, first.retry_at));
  REQUIRE_MESSAGE(promoted.has_value(), (promoted ? "" : promoted.error().text()));
  CHECK(promoted->changed == 1);
  REQUIRE(promoted->became_eligible.size() == 1);
  CHECK(promoted->became_eligible[0].execution_id == eid);
  CHECK(promoted->became_eligible[0].lane_id == "default");
  core = consistent_core(fx, eid);
  CHECK(core["public_state"] == "waiting");
  CHECK(core["attempt_state"] == "pending_retry_attempt");
  CHECK(core["delay_until"].empty());
  CHECK_FALSE(score_of(fx, delayed, eid).has_value());

  auto l1 = acquire_lease(fx, eid);
  CHECK(l1.attempt_type == "retry");
  CHECK(l1.attempt_index == 1);
  CHECK(l1.lease_epoch == 2);
  auto attempt1 = hash_of(fx, lk::attempt_key(eid, 1));
  CHECK(attempt1["retry_reason"] == "timeout talking to smtp");
  CHECK(attempt1["previous_attempt_index"] == "0");

  auto second = fail_ok(fx, fail_request(l1, "again"));
  CHECK(second.outcome == "retry_scheduled");
  CHECK(core_of(fx, eid)["retry_count"] == "2");
  auto promoted2 = fx.backend->promote_delayed(scan(7, second.retry_at));
  REQUIRE(promoted2.has_value());
  CHECK(promoted2->changed == 1);

  auto l2 = acquire_lease(fx, eid);
  CHECK(l2.attempt_type == "retry");
  CHECK(l2.attempt_index == 2);
  auto third = fail_ok(fx, fail_request(l2, "gave up"));
  CHECK(third.outcome == "failed");
  CHECK(third.retry_at == 0);
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

TEST_CASE("without a retry policy the first failure is terminal") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);
  auto out = fail_ok(fx, fail_request(l));
  CHECK(out.outcome == "failed");
  auto core = consistent_core(fx, eid);
  CHECK(core["public_state"] == "failed");
  CHECK(core["retry_count"] == "0");
  CHECK(hash_of(fx, lk::attempt_key(eid, 0))["attempt_state"] == "ended_failure");
}

TEST_CASE("retryable=false ends the execution despite a retry policy") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7, "default", two_fixed_retries);
  auto l = acquire_lease(fx, eid);
  auto out = fail_ok(fx, fail_request(l, "bad input", false));
  CHECK(out.outcome == "failed");
  CHECK(consistent_core(fx, eid)["public_state"] == "failed");
}

TEST_CASE("exponential backoff grows from initial_delay_ms and is capped") {
  valkey_fixture fx;
  const std::string eid = create(
      fx, 7, "default",
      R"({"retry_policy":{"max_retries":5,"backoff":{"type":"exponential","initial_delay_ms":1000,"max_delay_ms":3000,"multiplier":2}}})");
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 3; ++i) {
    auto l = acquire_lease(fx, eid);
    const std::int64_t before = now_ms();
    auto out = fail_ok(fx, fail_request(l));
    REQUIRE(out.outcome == "retry_scheduled");
    delays.push_back(out.retry_at - before);
    REQUIRE(fx.backend->promote_delayed(scan(7, out.retry_at))->changed == 1);
  }
  // 1000, 2000, then min(4000, 3000); allow the few ms the calls take.
  CHECK(delays[0] >= 1000);
  CHECK(delays[0] < 1100);
  CHECK(delays[1] >= 2000);
  CHECK(delays[1] < 2100);
  CHECK(delays[2] >= 3000);
  CHECK(delays[2] < 3100);
}

TEST_CASE("complete and fail are idempotent under a retry with the same fence") {
  valkey_fixture fx;

  SUBCASE("complete") {
    const std::string eid = create(fx, 7);
    auto l = acquire_lease(fx, eid);
    REQUIRE(fx.backend->complete_execution(complete_request(l, "first")).has_value());
    const auto core_before = core_of(fx, eid);
    auto again = fx.backend->complete_execution(complete_request(l, "first"));
    REQUIRE_MESSAGE(again.has_value(), (again ? "" : again.error().text()));
    CHECK(again->replayed);
    CHECK(core_of(fx, eid) == core_before);
    CHECK(fx.backend->get_execution_result(eid)->bytes == "first");

    auto other = complete_request(l, "first");
    other.fence.lease_epoch += 1;
    auto rejected = fx.backend->complete_execution(other);
    REQUIRE_FALSE(rejected.has_value());
    CHECK(rejected.error().code == "execution_not_active");
    CHECK(rejected.error().kind == error_kind::contention);
    CHECK(rejected.error().detail.rfind("success 1 terminal", 0) == 0);
    // The same fence cannot turn a success into a failure either.
    CHECK(error_code(fx.backend->fail_execution(fail_request(l))) == "execution_not_active");
  }

  SUBCASE("fail with a retry scheduled") {
    const std::string eid = create(fx, 7, "default", two_fixed_retries);
    auto l = acquire_lease(fx, eid);
    auto first = fail_ok(fx, fail_request(l));
    REQUIRE(first.outcome == "retry_scheduled");
    const auto core_before = core_of(fx, eid);
    auto again = fail_ok(fx, fail_request(l));
    CHECK(again.outcome == "retry_scheduled");
    CHECK(again.retry_at == first.retry_at);
    CHECK(again.replayed);
    CHECK(core_of(fx, eid) == core_before);
    CHECK(core_before.at("retry_count") == "1");
  }

  SUBCASE("terminal fail") {
    const std::string eid = create(fx, 7);
    auto l = acquire_lease(fx, eid);
    REQUIRE(fail_ok(fx, fail_request(l)).outcome == "failed");
    auto again = fail_ok(fx, fail_request(l));
    CHECK(again.outcome == "failed");
    CHECK(again.replayed);
    CHECK(error_code(fx.backend->complete_execution(complete_request(l))) ==
          "execution_not_active");
  }
}

TEST_CASE("terminal calls need a fence unless an operator overrides") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);
  auto unfenced = complete_request(l);
  unfenced.fence = {};
  CHECK(error_code(fx.backend->complete_execution(unfenced)) == "fence_required");
  unfenced.source = "operator_override";
  auto forced = fx.backend->complete_execution(unfenced);
  REQUIRE_MESSAGE(forced.has_value(), (forced ? "" : forced.error().text()));
  CHECK_FALSE(forced->replayed);
  CHECK(consistent_core(fx, eid)["public_state"] == "completed");
  // Without its own fence a caller cannot claim to be retrying.
  CHECK(error_code(fx.backend->complete_execution(unfenced)) == "execution_not_active");
  auto no_lease_id = complete_request(l);
  no_lease_id.fence.lease_id.clear();
  no_lease_id.fence.lease_epoch = 0;
  CHECK(error_code(fx.backend->complete_execution(no_lease_id)) == "fence_required");
}

TEST_CASE("cancel while running: renew reports it, complete is rejected") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  const std::string tag = tag_of(eid);
  auto l = acquire_lease(fx, eid);

  cancel_args c;
  c.execution_id = eid;
  c.reason = "user asked";
  auto cancelled = fx.backend->cancel_execution(c);
  REQUIRE_MESSAGE(cancelled.has_value(), (cancelled ? "" : cancelled.error().text()));
  CHECK(cancelled->previous_phase == "active");
  CHECK_FALSE(cancelled->replayed);
  auto core = consistent_core(fx, eid);
  CHECK(core["terminal_outcome"] == "cancelled");
  CHECK(core["public_state"] == "cancelled");
  CHECK(core["cancellation_reason"] == "user asked");
  CHECK(core["cancelled_by"] == "operator_override");
  CHECK(hash_of(fx, lk::attempt_key(eid, 0))["attempt_state"] == "ended_cancelled");
  CHECK_FALSE(score_of(fx, lk::lease_expiry_key(tag), eid).has_value());
  CHECK_FALSE(in_set(fx, lk::worker_leases_key(tag, "w1"), eid));

  renew_lease_args renew;
  renew.execution_id = eid;
  renew.fence = fence_of(l);
  auto told = fx.backend->renew_lease(renew);
  REQUIRE_MESSAGE(told.has_value(), (told ? "" : told.error().text()));
  CHECK(told->cancel_requested);
  CHECK(told->cancel_reason == "user asked");
  CHECK(told->lease_expires_at == 0);

  auto stranger = renew;
  stranger.fence.lease_id = new_uuid();
  CHECK(error_code(fx.backend->renew_lease(stranger)) == "execution_not_active");

  auto late = fx.backend->complete_execution(complete_request(l));
  CHECK(error_code(late) == "execution_not_active");
  CHECK(error_code(fx.backend->fail_execution(fail_request(l))) == "execution_not_active");
  CHECK(consistent_core(fx, eid)["public_state"] == "cancelled");
  CHECK_FALSE(fx.backend->get_execution_result(eid)->found);

  read_stream_args read;
  read.execution_id = eid;
  CHECK(fx.backend->read_attempt_stream(read)->closed_reason == "attempt_cancelled");

  // A second operator cancel reports that it is no longer active.
  CHECK(error_code(fx.backend->cancel_execution(c)) == "execution_not_active");
}

TEST_CASE("cancel by the lease holder needs its fence; waiting executions just cancel") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);

  cancel_args c;
  c.execution_id = eid;
  c.reason = "worker gave up";
  c.source = "lease_holder";
  CHECK(error_code(fx.backend->cancel_execution(c)) == "fence_required");
  c.fence = fence_of(l);
  c.fence.lease_epoch = 7;
  CHECK(error_code(fx.backend->cancel_execution(c)) == "stale_lease");
  CHECK(core_of(fx, eid)["public_state"] == "active");

  c.fence = fence_of(l);
  auto done = fx.backend->cancel_execution(c);
  REQUIRE_MESSAGE(done.has_value(), (done ? "" : done.error().text()));
  CHECK(core_of(fx, eid)["cancelled_by"] == "lease_holder");
  auto again = fx.backend->cancel_execution(c);
  REQUIRE_MESSAGE(again.has_value(), (again ? "" : again.error().text()));
  CHECK(again->replayed);

  const std::string waiting = create(fx, 7);
  cancel_args w;
  w.execution_id = waiting;
  w.reason = "not needed";
  auto out = fx.backend->cancel_execution(w);
  REQUIRE(out.has_value());
  CHECK(out->previous_phase == "runnable");
  auto core = consistent_core(fx, waiting);
  CHECK(core["public_state"] == "cancelled");
  CHECK(core["attempt_state"] == "pending_first_attempt");
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key("{fp:7}", "default"), waiting).has_value());
  CHECK(score_of(fx, lk::lane_terminal_key("{fp:7}", "default"), waiting).has_value());
}

TEST_CASE("replay of a terminal execution, up to max_replay_count") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7, "default", R"({"max_replay_count":1})");
  const std::string tag = tag_of(eid);

  replay_args r;
  r.execution_id = eid;
  r.reason = "rerun";
  r.requested_by = "ops";
  CHECK(error_code(fx.backend->replay_execution(r)) == "execution_not_terminal");

  auto l0 = acquire_lease(fx, eid);
  REQUIRE(fx.backend->complete_execution(complete_request(l0, "v1")).has_value());
  auto replayed = fx.backend->replay_execution(r);
  REQUIRE_MESSAGE(replayed.has_value(), (replayed ? "" : replayed.error().text()));
  CHECK(replayed->public_state == "waiting");
  CHECK(replayed->replay_count == 1);
  auto core = consistent_core(fx, eid);
  CHECK(core["lifecycle_phase"] == "runnable");
  CHECK(core["attempt_state"] == "pending_replay_attempt");
  CHECK(core["completed_at"].empty());
  CHECK(core["terminal_outcome"] == "none");
  CHECK(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());
  CHECK_FALSE(score_of(fx, lk::lane_terminal_key(tag, "default"), eid).has_value());
  CHECK_FALSE(score_of(fx, lk::retention_key(tag), eid).has_value());

  // A late complete of the first run changes nothing.
  CHECK(error_code(fx.backend->complete_execution(complete_request(l0, "late"))) ==
        "execution_not_active");

  auto l1 = acquire_lease(fx, eid);
  CHECK(l1.attempt_type == "replay");
  CHECK(l1.attempt_index == 1);
  CHECK(l1.lease_epoch == 2);
  auto attempt1 = hash_of(fx, lk::attempt_key(eid, 1));
  CHECK(attempt1["replay_reason"] == "rerun");
  CHECK(attempt1["replay_requested_by"] == "ops");
  CHECK(attempt1["replayed_from_attempt_index"] == "0");
  REQUIRE(fx.backend->complete_execution(complete_request(l1, "v2")).has_value());
  CHECK(fx.backend->get_execution_result(eid)->bytes == "v2");

  auto exhausted = fx.backend->replay_execution(r);
  REQUIRE_FALSE(exhausted.has_value());
  CHECK(exhausted.error().code == "max_replays_exhausted");
  CHECK(exhausted.error().kind == error_kind::state);
  CHECK(consistent_core(fx, eid)["public_state"] == "completed");
}
