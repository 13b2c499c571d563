// Fail with retry, terminal failure, cancel, replay and the idempotency of
// terminal operations.

#include <doctest/doctest.h>

#include "tests/contract/backend_factory.hpp"
#include "tests/contract/lifecycle_support.hpp"

using namespace ff;
using namespace ff::test;

CONTRACT_TEST("retry with two fixed-backoff retries, then a terminal failure") {
  const auto eid = create(fx, 7, "default", two_fixed_retries);

  auto l0 = acquire_lease(fx, eid);
  const std::int64_t before = now_ms();
  auto first = fail_ok(fx, fail_request(l0, "timeout talking to smtp"));
  CHECK(first.outcome == fail_disposition::retry_scheduled);
  CHECK(first.retry_at >= before + 60'000);
  CHECK(first.retry_at <= now_ms() + 60'000);
  CHECK_FALSE(first.replayed);

  auto info = info_of(fx, eid);
  CHECK(info.state.lifecycle_phase == "runnable");
  CHECK(info.state.eligibility_state == "not_eligible_until_time");
  CHECK(info.state.blocking_reason == "waiting_for_retry_backoff");
  CHECK(info.state.attempt_state == "pending_retry_attempt");
  CHECK(info.state.public_state == "delayed");
  CHECK(info.last_error_message == "timeout talking to smtp");
  CHECK(info.last_error_code == "test");
  CHECK(read_stream(fx, eid).closed_reason == "attempt_failure");

  // Not claimable before retry_at.
  CHECK_FALSE(acquire(fx, 7, "default", "w1").acquired);
  auto early = fx.backend->promote_delayed(scan(7, first.retry_at - 1));
  REQUIRE(early.has_value());
  CHECK(early->changed == 0);
  CHECK(early->became_eligible.empty());
  CHECK(public_state_of(fx, eid) == "delayed");

  auto promoted = fx.backend->promote_delayed(scan(7, first.retry_at));
  REQUIRE_MESSAGE(promoted.has_value(), (promoted ? "" : promoted.error().text()));
  CHECK(promoted->changed == 1);
  REQUIRE(promoted->became_eligible.size() == 1);
  CHECK(promoted->became_eligible[0].execution_id == eid.value);
  CHECK(promoted->became_eligible[0].lane_id == "default");
  info = info_of(fx, eid);
  CHECK(info.state.public_state == "waiting");
  CHECK(info.state.attempt_state == "pending_retry_attempt");
  // Promoted once only.
  CHECK(fx.backend->promote_delayed(scan(7, first.retry_at + 10))->changed == 0);

  auto l1 = acquire_lease(fx, eid);
  CHECK(l1.attempt_type == attempt_kind::retry);
  CHECK(l1.attempt_index == 1);
  CHECK(l1.lease_epoch == 2);

  auto second = fail_ok(fx, fail_request(l1, "again"));
  CHECK(second.outcome == fail_disposition::retry_scheduled);
  auto promoted2 = fx.backend->promote_delayed(scan(7, second.retry_at));
  REQUIRE(promoted2.has_value());
  CHECK(promoted2->changed == 1);

  auto l2 = acquire_lease(fx, eid);
  CHECK(l2.attempt_type == attempt_kind::retry);
  CHECK(l2.attempt_index == 2);
  auto third = fail_ok(fx, fail_request(l2, "gave up"));
  CHECK(third.outcome == fail_disposition::failed);
  CHECK(third.retry_at == 0);
  info = info_of(fx, eid);
  CHECK(info.state.lifecycle_phase == "terminal");
  CHECK(info.state.terminal_outcome == "failed");
  CHECK(info.state.public_state == "failed");
  CHECK(info.last_error_message == "gave up");
  CHECK(info.current_attempt_index == 2);
  CHECK(fx.backend->promote_delayed(scan(7, third.retry_at + 86'400'000))->changed == 0);
  CHECK_FALSE(acquire(fx, 7, "default", "w1").acquired);
}

CONTRACT_TEST("without a retry policy the first failure is terminal") {
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);
  auto out = fail_ok(fx, fail_request(l));
  CHECK(out.outcome == fail_disposition::failed);
  CHECK(out.retry_at == 0);
  auto info = info_of(fx, eid);
  CHECK(info.state.public_state == "failed");
  CHECK(info.last_error_message == "boom");
  CHECK(read_stream(fx, eid).closed_reason == "attempt_failure");
}

CONTRACT_TEST("retryable=false ends the execution despite a retry policy") {
  const auto eid = create(fx, 7, "default", two_fixed_retries);
  auto l = acquire_lease(fx, eid);
  auto out = fail_ok(fx, fail_request(l, "bad input", false));
  CHECK(out.outcome == fail_disposition::failed);
  CHECK(public_state_of(fx, eid) == "failed");
}

CONTRACT_TEST("exponential backoff grows from initial_delay_ms and is capped") {
  const auto eid = create(
      fx, 7, "default",
      R"({"retry_policy":{"max_retries":5,"backoff":{"type":"exponential","initial_delay_ms":1000,"max_delay_ms":3000,"multiplier":2}}})");
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 3; ++i) {
    auto l = acquire_lease(fx, eid);
    const std::int64_t before = now_ms();
    auto out = fail_ok(fx, fail_request(l));
    REQUIRE(out.outcome == fail_disposition::retry_scheduled);
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

CONTRACT_TEST("complete and fail are idempotent under a retry with the same fence") {
  SUBCASE("complete") {
    const auto eid = create(fx, 7);
    auto l = acquire_lease(fx, eid);
    REQUIRE(fx.backend->complete_execution(complete_request(l, "first")).has_value());
    const auto before = describe(info_of(fx, eid));
    auto again = fx.backend->complete_execution(complete_request(l, "first"));
    REQUIRE_MESSAGE(again.has_value(), (again ? "" : again.error().text()));
    CHECK(again->replayed);
    CHECK(describe(info_of(fx, eid)) == before);
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
    CHECK(describe(info_of(fx, eid)) == before);
  }

  SUBCASE("fail with a retry scheduled") {
    const auto eid = create(fx, 7, "default", two_fixed_retries);
    auto l = acquire_lease(fx, eid);
    auto first = fail_ok(fx, fail_request(l));
    REQUIRE(first.outcome == fail_disposition::retry_scheduled);
    const auto before = describe(info_of(fx, eid));
    auto again = fail_ok(fx, fail_request(l));
    CHECK(again.outcome == fail_disposition::retry_scheduled);
    CHECK(again.retry_at == first.retry_at);
    CHECK(again.replayed);
    CHECK(describe(info_of(fx, eid)) == before);
    // One retry was scheduled, not two: a single promotion, one retry attempt.
    REQUIRE(fx.backend->promote_delayed(scan(7, first.retry_at))->changed == 1);
    CHECK(acquire_lease(fx, eid).attempt_index == 1);
  }

  SUBCASE("terminal fail") {
    const auto eid = create(fx, 7);
    auto l = acquire_lease(fx, eid);
    REQUIRE(fail_ok(fx, fail_request(l)).outcome == fail_disposition::failed);
    auto again = fail_ok(fx, fail_request(l));
    CHECK(again.outcome == fail_disposition::failed);
    CHECK(again.replayed);
    CHECK(error_code(fx.backend->complete_execution(complete_request(l))) ==
          "execution_not_active");
  }
}

CONTRACT_TEST("terminal calls need a fence unless an operator overrides") {
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);
  auto unfenced = complete_request(l);
  unfenced.fence = {};
  CHECK(error_code(fx.backend->complete_execution(unfenced)) == "fence_required");
  unfenced.source = "operator_override";
  auto forced = fx.backend->complete_execution(unfenced);
  REQUIRE_MESSAGE(forced.has_value(), (forced ? "" : forced.error().text()));
  CHECK_FALSE(forced->replayed);
  CHECK(public_state_of(fx, eid) == "completed");
  // Without its own fence a caller cannot claim to be retrying.
  CHECK(error_code(fx.backend->complete_execution(unfenced)) == "execution_not_active");
  auto no_lease_id = complete_request(l);
  no_lease_id.fence.lease_id.clear();
  no_lease_id.fence.lease_epoch = 0;
  CHECK(error_code(fx.backend->complete_execution(no_lease_id)) == "fence_required");
}

CONTRACT_TEST("cancel while running: renew reports it, complete is rejected") {
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);

  cancel_args c;
  c.execution_id = eid;
  c.reason = "user asked";
  auto cancelled = fx.backend->cancel_execution(c);
  REQUIRE_MESSAGE(cancelled.has_value(), (cancelled ? "" : cancelled.error().text()));
  CHECK(cancelled->previous_phase == "active");
  CHECK_FALSE(cancelled->replayed);
  auto info = info_of(fx, eid);
  CHECK(info.state.terminal_outcome == "cancelled");
  CHECK(info.state.public_state == "cancelled");
  CHECK(info.state.ownership_state == "unowned");
  CHECK(info.cancel_reason == "user asked");

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
  CHECK(public_state_of(fx, eid) == "cancelled");
  CHECK_FALSE(fx.backend->get_execution_result(eid)->found);
  CHECK(read_stream(fx, eid).closed_reason == "attempt_cancelled");

  // A second operator cancel reports that it is no longer active.
  CHECK(error_code(fx.backend->cancel_execution(c)) == "execution_not_active");
}

CONTRACT_TEST("cancel by the lease holder needs its fence; waiting executions just cancel") {
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);

  cancel_args c;
  c.execution_id = eid;
  c.reason = "worker gave up";
  c.source = "lease_holder";
  CHECK(error_code(fx.backend->cancel_execution(c)) == "fence_required");
  c.fence = fence_of(l);
  c.fence.lease_epoch = 7;
  CHECK(error_code(fx.backend->cancel_execution(c)) == "stale_lease");
  CHECK(public_state_of(fx, eid) == "active");

  c.fence = fence_of(l);
  auto done = fx.backend->cancel_execution(c);
  REQUIRE_MESSAGE(done.has_value(), (done ? "" : done.error().text()));
  CHECK_FALSE(done->replayed);
  CHECK(done->previous_phase == "active");
  CHECK(public_state_of(fx, eid) == "cancelled");
  auto again = fx.backend->cancel_execution(c);
  REQUIRE_MESSAGE(again.has_value(), (again ? "" : again.error().text()));
  CHECK(again->replayed);

  const auto waiting = create(fx, 7);
  cancel_args w;
  w.execution_id = waiting;
  w.reason = "not needed";
  auto out = fx.backend->cancel_execution(w);
  REQUIRE(out.has_value());
  CHECK(out->previous_phase == "runnable");
  auto info = info_of(fx, waiting);
  CHECK(info.state.public_state == "cancelled");
  CHECK(info.state.attempt_state == "pending_first_attempt");
  CHECK(info.cancel_reason == "not needed");
  CHECK_FALSE(acquire(fx, 7, "default", "w2").acquired);
}

CONTRACT_TEST("replay of a terminal execution, up to max_replay_count") {
  const auto eid = create(fx, 7, "default", R"({"max_replay_count":1})");

  replay_args r;
  r.execution_id = eid;
  r.reason = "rerun";
  r.requested_by = "ops";
  CHECK(error_code(fx.backend->replay_execution(r)) == "execution_not_terminal");

  auto l0 = acquire_lease(fx, eid);
  REQUIRE(fx.backend->complete_execution(complete_request(l0, "v1")).has_value());
  auto replayed = fx.backend->replay_execution(r);
  REQUIRE_MESSAGE(replayed.has_value(), (replayed ? "" : replayed.error().text()));
  CHECK(replayed->public_state == public_state_kind::waiting);
  CHECK(replayed->replay_count == 1);
  auto info = info_of(fx, eid);
  CHECK(info.state.lifecycle_phase == "runnable");
  CHECK(info.state.attempt_state == "pending_replay_attempt");
  CHECK(info.state.terminal_outcome == "none");
  CHECK(info.state.public_state == "waiting");
  CHECK(info.completed_at == 0);
  CHECK_FALSE(fx.backend->get_execution_result(eid)->found);

  // A late complete of the first run changes nothing.
  CHECK(error_code(fx.backend->complete_execution(complete_request(l0, "late"))) ==
        "execution_not_active");

  auto l1 = acquire_lease(fx, eid);
  CHECK(l1.attempt_type == attempt_kind::replay);
  CHECK(l1.attempt_index == 1);
  CHECK(l1.lease_epoch == 2);
  REQUIRE(fx.backend->complete_execution(complete_request(l1, "v2")).has_value());
  CHECK(fx.backend->get_execution_result(eid)->bytes == "v2");

  auto exhausted = fx.backend->replay_execution(r);
  REQUIRE_FALSE(exhausted.has_value());
  CHECK(exhausted.error().code == "max_replays_exhausted");
  CHECK(exhausted.error().kind == error_kind::state);
  CHECK(public_state_of(fx, eid) == "completed");
  // Retention runs from the second completion.
  const std::int64_t done = info_of(fx, eid).completed_at;
  CHECK(fx.backend->trim_retention(scan(7, done + 86'400'000 - 1))->changed == 0);
  CHECK(fx.backend->trim_retention(scan(7, done + 86'400'000))->changed == 1);
}
