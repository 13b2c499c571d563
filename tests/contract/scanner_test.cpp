// Scanner batches (attempt timeout, deadline, retention, index repair,
// eligible counts) on the caller's clock.

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/contract/backend_factory.hpp"
#include "tests/contract/lifecycle_support.hpp"

using namespace ff;
using namespace ff::test;

CONTRACT_TEST("an attempt timeout expires the execution terminally") {
  const auto eid =
      create(fx, 7, "default",
             R"({"timeout_policy":{"attempt_timeout_ms":1000},"retry_policy":{"max_retries":3}})");
  auto l = acquire_lease(fx, eid);
  const std::int64_t due = info_of(fx, eid).started_at + 1000;

  auto early = fx.backend->expire_attempt_timeouts(scan(7, due - 1));
  REQUIRE(early.has_value());
  CHECK(early->changed == 0);
  CHECK(public_state_of(fx, eid) == "active");

  auto expired = fx.backend->expire_attempt_timeouts(scan(7, due));
  REQUIRE_MESSAGE(expired.has_value(), (expired ? "" : expired.error().text()));
  CHECK(expired->examined == 1);
  CHECK(expired->changed == 1);
  auto info = info_of(fx, eid);
  CHECK(info.state.terminal_outcome == "expired");
  CHECK(info.state.public_state == "expired");
  CHECK(info.last_error_message == "attempt_timeout");
  CHECK(info.completed_at > 0);
  CHECK(read_stream(fx, eid).closed_reason == "expired");
  CHECK(error_code(fx.backend->complete_execution(complete_request(l))) ==
        "execution_not_active");
  // A timeout does not retry: nothing to promote or acquire.
  CHECK(fx.backend->promote_delayed(scan(7, due + 86'400'000))->changed == 0);
  CHECK_FALSE(acquire(fx, 7, "default", "w2").acquired);

  // A second pass has nothing to do; the execution stays as it ended.
  auto again = fx.backend->expire_attempt_timeouts(scan(7, now_ms()));
  REQUIRE(again.has_value());
  CHECK(again->changed == 0);
  CHECK(describe(info_of(fx, eid)) == describe(info));
}

CONTRACT_TEST("an execution deadline expires a waiting execution") {
  auto a = sample_create_args(7);
  a.execution_deadline_at = now_ms() + 1000;
  REQUIRE(fx.backend->create_execution(a).has_value());
  const auto& eid = a.execution_id;
  const auto keep = create(fx, 7);

  CHECK(fx.backend->expire_execution_deadlines(scan(7, a.execution_deadline_at - 1))->changed ==
        0);
  auto expired = fx.backend->expire_execution_deadlines(scan(7, a.execution_deadline_at));
  REQUIRE_MESSAGE(expired.has_value(), (expired ? "" : expired.error().text()));
  CHECK(expired->changed == 1);
  auto info = info_of(fx, eid);
  CHECK(info.state.terminal_outcome == "expired");
  CHECK(info.state.public_state == "expired");
  CHECK(info.last_error_message == "execution_deadline");
  CHECK(info.state.attempt_state == "pending_first_attempt");
  CHECK(public_state_of(fx, keep) == "waiting");
  auto next = acquire(fx, 7, "default", "w1");
  REQUIRE(next.acquired);
  CHECK(next.lease.execution_id == keep.value);
  CHECK(next.eligible_remaining == 0);
}

CONTRACT_TEST("trim_retention deletes terminal executions past their retention only") {
  // One at a time, so each acquire finds exactly the execution just created.
  const auto old_one = create(fx, 7);
  auto l1 = acquire_lease(fx, old_one);
  auto frame = frame_for(l1, "x");
  frame.summary_patch = R"({"a":1})";
  append_ok(fx, frame);
  REQUIRE(fx.backend->complete_execution(complete_request(l1)).has_value());
  const auto short_one =
      create(fx, 7, "default", R"({"stream_policy":{"retention_ttl_ms":1000}})");
  auto l2 = acquire_lease(fx, short_one);
  REQUIRE(fx.backend->complete_execution(complete_request(l2)).has_value());
  const auto running = create(fx, 7);
  acquire_lease(fx, running);

  const std::int64_t done_old = info_of(fx, old_one).completed_at;
  const std::int64_t done_short = info_of(fx, short_one).completed_at;
  REQUIRE(read_stream(fx, old_one).frames.size() == 1);

  auto none = fx.backend->trim_retention(scan(7, done_short + 999));
  REQUIRE(none.has_value());
  CHECK(none->changed == 0);

  auto first = fx.backend->trim_retention(scan(7, done_short + 1000));
  REQUIRE_MESSAGE(first.has_value(), (first ? "" : first.error().text()));
  CHECK(first->changed == 1);
  CHECK(error_code(fx.backend->get_execution(short_one)) == "execution_not_found");
  CHECK(error_code(fx.backend->get_execution_state(short_one)) == "execution_not_found");
  CHECK(public_state_of(fx, old_one) == "completed");
  CHECK(fx.backend->get_execution_result(old_one)->found);
  CHECK(read_stream(fx, old_one).frames.size() == 1);

  auto second = fx.backend->trim_retention(scan(7, done_old + 86'400'000));
  REQUIRE(second.has_value());
  CHECK(second->changed == 1);
  CHECK(error_code(fx.backend->get_execution(old_one)) == "execution_not_found");
  CHECK_FALSE(fx.backend->get_execution_result(old_one)->found);
  auto gone = read_stream(fx, old_one);
  CHECK(gone.frames.empty());
  CHECK(gone.closed_at == 0);
  // The running execution is untouched and alone in the listing.
  CHECK(public_state_of(fx, running) == "active");
  auto page = fx.backend->list_executions({7, "", 10});
  REQUIRE(page.has_value());
  CHECK(page->execution_ids == std::vector<std::string>{running.value});
  auto idle = fx.backend->trim_retention(scan(7, done_old + 2 * 86'400'000));
  REQUIRE(idle.has_value());
  CHECK(idle->changed == 0);
}

CONTRACT_TEST("reconcile_indexes on consistent data changes nothing, counts and pages") {
  std::vector<execution_id> ids = {create(fx, 7), create(fx, 7), create(fx, 7)};
  auto got = acquire(fx, 7, "default", "w1");
  REQUIRE(got.acquired);
  REQUIRE(fx.backend->complete_execution(complete_request(got.lease)).has_value());

  scan_args s = scan(7, now_ms());
  s.lanes = {"default", "gpu"};
  auto r = fx.backend->reconcile_indexes(s);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  CHECK(r->examined == 3);
  CHECK(r->changed == 0);
  CHECK(r->cleaned == 0);
  CHECK(r->next_cursor.empty());
  CHECK(r->became_eligible.empty());
  REQUIRE(r->eligible_by_lane.size() == 2);
  CHECK(r->eligible_by_lane[0].lane_id == "default");
  CHECK(r->eligible_by_lane[0].count == 2);
  CHECK(r->eligible_by_lane[1].lane_id == "gpu");
  CHECK(r->eligible_by_lane[1].count == 0);
  for (const auto& eid : ids)
    CHECK(public_state_of(fx, eid) == (eid.value == got.lease.execution_id ? "completed" : "waiting"));

  scan_args paged = s;
  paged.limit = 2;
  auto p1 = fx.backend->reconcile_indexes(paged);
  REQUIRE(p1.has_value());
  CHECK(p1->examined == 2);
  CHECK_FALSE(p1->next_cursor.empty());
  paged.cursor = p1->next_cursor;
  auto p2 = fx.backend->reconcile_indexes(paged);
  REQUIRE(p2.has_value());
  CHECK(p2->examined == 1);
  CHECK(p2->next_cursor.empty());
  // Both waiting executions are still there to acquire.
  CHECK(acquire(fx, 7, "default", "w2").acquired);
  CHECK(acquire(fx, 7, "default", "w2").acquired);
  CHECK_FALSE(acquire(fx, 7, "default", "w2").acquired);
}

CONTRACT_TEST("count_eligible counts one partition's lanes") {
  create(fx, 7, "default");
  create(fx, 7, "default");
  create(fx, 7, "gpu");
  create(fx, 8, "default");
  auto counts = fx.backend->count_eligible(7, {"default", "gpu", "other"});
  REQUIRE_MESSAGE(counts.has_value(), (counts ? "" : counts.error().text()));
  REQUIRE(counts->size() == 3);
  CHECK((*counts)[0].lane_id == "default");
  CHECK((*counts)[0].count == 2);
  CHECK((*counts)[1].lane_id == "gpu");
  CHECK((*counts)[1].count == 1);
  CHECK((*counts)[2].lane_id == "other");
  CHECK((*counts)[2].count == 0);
  CHECK(fx.backend->count_eligible(8, {"default"})->at(0).count == 1);
  CHECK(error_code(fx.backend->count_eligible(7, {})) == "invalid_input");
}

CONTRACT_TEST("lanes_with_eligible_work lists every lane with eligible work, on any partition") {
  auto none = fx.backend->lanes_with_eligible_work();
  REQUIRE_MESSAGE(none.has_value(), (none ? "" : none.error().text()));
  CHECK(none->empty());

  create(fx, 7, "default");
  create(fx, 200, "batch"); // a lane outside the prepared ones
  const auto gpu = create(fx, 8, "gpu");
  auto lanes = fx.backend->lanes_with_eligible_work();
  REQUIRE(lanes.has_value());
  std::sort(lanes->begin(), lanes->end());
  CHECK(*lanes == std::vector<std::string>{"batch", "default", "gpu"});

  // A lane whose only execution was claimed has no eligible work left.
  acquire_lease(fx, gpu);
  lanes = fx.backend->lanes_with_eligible_work();
  REQUIRE(lanes.has_value());
  std::sort(lanes->begin(), lanes->end());
  CHECK(*lanes == std::vector<std::string>{"batch", "default"});
}
