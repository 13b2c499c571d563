// Signal delivery against resume conditions (all_of, any_of, count,
// single with a name), idempotency, the signal limit and closed waitpoints.

#include <doctest/doctest.h>

#include "tests/contract/backend_factory.hpp"
#include "tests/contract/suspension_support.hpp"

using namespace ff;
using namespace ff::test;

CONTRACT_TEST("all_of over two waitpoints needs a signal on both") {
  auto s = create_and_suspend(
      fx, {"legal", "finance"},
      R"({"type":"all_of","members":[{"type":"single","waitpoint_key":"legal","signal_name":null},
                                     {"type":"single","waitpoint_key":"finance","signal_name":null}]})");
  auto a = deliver_ok(fx, signal_request(s.eid, s.wp(0), "ok", "legal-team"));
  CHECK(a.effect == "appended_to_waitpoint");
  CHECK_FALSE(a.became_eligible);
  CHECK(public_state_of(fx, s.eid) == "suspended");
  // A second signal on the same waitpoint adds nothing.
  auto again = deliver_ok(fx, signal_request(s.eid, s.wp(0), "ok", "legal-team-2"));
  CHECK(again.effect == "appended_to_waitpoint_duplicate");
  CHECK(public_state_of(fx, s.eid) == "suspended");
  auto b = deliver_ok(fx, signal_request(s.eid, s.wp(1), "ok", "finance-team"));
  CHECK(b.effect == "resume_condition_satisfied");
  CHECK(b.became_eligible);
  CHECK(public_state_of(fx, s.eid) == "waiting");
  // Both waitpoints closed with the resume.
  for (std::size_t i = 0; i < 2; ++i)
    CHECK(error_code(fx.backend->deliver_signal(signal_request(s.eid, s.wp(i)))) ==
          "waitpoint_closed");
  CHECK(open_waitpoints(fx, s.eid).empty());
  // All three accepted signals reach the resumed attempt, in order.
  auto resumed = acquire_lease(fx, s.eid, "w2");
  REQUIRE(resumed.signals.size() == 3);
  CHECK(resumed.signals[0].source_identity == "legal-team");
  CHECK(resumed.signals[1].source_identity == "legal-team-2");
  CHECK(resumed.signals[2].source_identity == "finance-team");
}

CONTRACT_TEST("any_of resumes on the first signal and closes every waitpoint") {
  auto s = create_and_suspend(fx, {"email", "sms", "push"},
                              R"({"type":"any_of","waitpoint_keys":["email","sms","push"]})");
  auto out = deliver_ok(fx, signal_request(s.eid, s.wp(1), "clicked", "user-1"));
  CHECK(out.effect == "resume_condition_satisfied");
  CHECK(public_state_of(fx, s.eid) == "waiting");
  CHECK(open_waitpoints(fx, s.eid).empty());
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(error_code(fx.backend->deliver_signal(signal_request(s.eid, s.wp(i)))) ==
          "waitpoint_closed");
}

CONTRACT_TEST("count distinct_sources ignores a repeated source") {
  auto s = create_and_suspend(
      fx, {"votes"},
      R"({"type":"count","n":2,"count_kind":"distinct_sources","waitpoint_keys":["votes"],"signal_name":"vote"})");
  CHECK(deliver_ok(fx, signal_request(s.eid, s.wp(0), "vote", "alice")).effect ==
        "appended_to_waitpoint");
  CHECK(deliver_ok(fx, signal_request(s.eid, s.wp(0), "vote", "alice")).effect ==
        "appended_to_waitpoint_duplicate");
  CHECK(deliver_ok(fx, signal_request(s.eid, s.wp(0), "comment", "carol")).effect ==
        "signal_ignored_matcher_failed");
  CHECK(public_state_of(fx, s.eid) == "suspended");
  CHECK(deliver_ok(fx, signal_request(s.eid, s.wp(0), "vote", "bob")).effect ==
        "resume_condition_satisfied");
  CHECK(public_state_of(fx, s.eid) == "waiting");
  // Every accepted signal, the duplicate and the ignored one included,
  // reaches the resumed attempt.
  auto resumed = acquire_lease(fx, s.eid, "w2");
  REQUIRE(resumed.signals.size() == 4);
  CHECK(resumed.signals[0].source_identity == "alice");
  CHECK(resumed.signals[2].signal_name == "comment");
  CHECK(resumed.signals[3].source_identity == "bob");
}

CONTRACT_TEST("count distinct_signals and distinct_waitpoints") {
  auto sig = create_and_suspend(
      fx, {"k"},
      R"({"type":"count","n":2,"count_kind":"distinct_signals","waitpoint_keys":["k"]})");
  CHECK(deliver_ok(fx, signal_request(sig.eid, sig.wp(0), "x", "same")).effect ==
        "appended_to_waitpoint");
  CHECK(deliver_ok(fx, signal_request(sig.eid, sig.wp(0), "y", "same")).effect ==
        "resume_condition_satisfied");

  auto wps = create_and_suspend(
      fx, {"a", "b"},
      R"({"type":"count","n":2,"count_kind":"distinct_waitpoints","waitpoint_keys":["a","b"]})",
      0, "fail", 8); // another partition: the first one is waiting for a worker on 7
  CHECK(deliver_ok(fx, signal_request(wps.eid, wps.wp(0), "x", "s1")).effect ==
        "appended_to_waitpoint");
  CHECK(deliver_ok(fx, signal_request(wps.eid, wps.wp(0), "x", "s2")).effect ==
        "appended_to_waitpoint_duplicate");
  CHECK(deliver_ok(fx, signal_request(wps.eid, wps.wp(1), "x", "s3")).effect ==
        "resume_condition_satisfied");
}

CONTRACT_TEST("single with a signal name ignores another name; unlisted keys are ignored") {
  auto s = create_and_suspend(fx, {"approval", "extra"}, single_on("approval", "approve"));
  CHECK(deliver_ok(fx, signal_request(s.eid, s.wp(0), "reject")).effect ==
        "signal_ignored_matcher_failed");
  CHECK(deliver_ok(fx, signal_request(s.eid, s.wp(1), "approve")).effect ==
        "signal_ignored_not_in_condition");
  CHECK(public_state_of(fx, s.eid) == "suspended");
  CHECK(deliver_ok(fx, signal_request(s.eid, s.wp(0), "approve")).effect ==
        "resume_condition_satisfied");

  auto op = create_and_suspend(fx, {"k"}, R"({"type":"operator_only"})", 0, "fail", 8);
  CHECK(deliver_ok(fx, signal_request(op.eid, op.wp(0))).effect ==
        "signal_ignored_not_in_condition");
  CHECK(public_state_of(fx, op.eid) == "suspended");
}

CONTRACT_TEST("a duplicate idempotency key is counted once and answers the first signal") {
  auto s = create_and_suspend(
      fx, {"k"},
      R"({"type":"count","n":3,"count_kind":"distinct_signals","waitpoint_keys":["k"]})");
  auto first = signal_request(s.eid, s.wp(0));
  first.idempotency_key = "webhook-42";
  auto a = deliver_ok(fx, first);
  CHECK_FALSE(a.duplicate);
  auto retry = signal_request(s.eid, s.wp(0));
  retry.idempotency_key = "webhook-42";
  auto b = deliver_ok(fx, retry);
  CHECK(b.duplicate);
  CHECK(b.signal_id == first.signal_id);
  // The same signal id again is a duplicate too.
  auto same_id = deliver_ok(fx, first);
  CHECK(same_id.duplicate);
  CHECK(same_id.signal_id == first.signal_id);
  CHECK(public_state_of(fx, s.eid) == "suspended");
  // Counted once: two more distinct signals are needed, and the resumed
  // attempt carries three.
  CHECK(deliver_ok(fx, signal_request(s.eid, s.wp(0))).effect == "appended_to_waitpoint");
  CHECK(deliver_ok(fx, signal_request(s.eid, s.wp(0))).effect == "resume_condition_satisfied");
  auto resumed = acquire_lease(fx, s.eid, "w2");
  REQUIRE(resumed.signals.size() == 3);
  CHECK(resumed.signals[0].signal_id == first.signal_id);
}

CONTRACT_TEST("the per-execution signal limit") {
  auto s = create_and_suspend(fx, {"k"}, single_on("k", "go"));
  auto limited = [&](const std::string& name) {
    auto r = signal_request(s.eid, s.wp(0), name);
    r.max_signals_per_execution = 2;
    return r;
  };
  CHECK(deliver_ok(fx, limited("noise")).effect == "signal_ignored_matcher_failed");
  CHECK(deliver_ok(fx, limited("noise")).effect == "signal_ignored_matcher_failed");
  auto over = fx.backend->deliver_signal(limited("go"));
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().code == "signal_limit_exceeded");
  CHECK(over.error().kind == error_kind::validation);
  CHECK(public_state_of(fx, s.eid) == "suspended");
}

CONTRACT_TEST("delivery errors: unknown execution, unknown or foreign waitpoint, closed, terminal") {
  auto s = create_and_suspend(fx, {"k"}, single_on("k"));
  const auto other = execution_id::mint(7);
  CHECK(error_code(fx.backend->deliver_signal(signal_request(other, s.wp(0)))) ==
        "execution_not_found");
  CHECK(error_code(fx.backend->deliver_signal(signal_request(s.eid, new_uuid()))) ==
        "waitpoint_not_found");
  auto t = create_and_suspend(fx, {"k"}, single_on("k"));
  // t's waitpoint does not belong to s.
  CHECK(error_code(fx.backend->deliver_signal(signal_request(s.eid, t.wp(0)))) ==
        "waitpoint_not_found");
  deliver_ok(fx, signal_request(s.eid, s.wp(0)));
  auto closed = fx.backend->deliver_signal(signal_request(s.eid, s.wp(0)));
  REQUIRE_FALSE(closed.has_value());
  CHECK(closed.error().code == "waitpoint_closed");
  CHECK(closed.error().kind == error_kind::state);
  cancel_args c;
  c.execution_id = t.eid;
  c.reason = "stop";
  REQUIRE(fx.backend->cancel_execution(c).has_value());
  CHECK(error_code(fx.backend->deliver_signal(signal_request(t.eid, t.wp(0)))) ==
        "target_not_signalable");
  auto bad_id = signal_request(s.eid, s.wp(0));
  bad_id.signal_id = "not-a-uuid";
  CHECK(error_code(fx.backend->deliver_signal(bad_id)) == "invalid_input");
}
