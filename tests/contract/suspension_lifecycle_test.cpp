// Suspend (transition 16), resume by signal (transition 17) into a resumed
// attempt carrying the signals, resume delay, idempotent suspend, the
// suspension-timeout scanner and cancel / expire of a suspended execution.

#include <doctest/doctest.h>

#include "tests/contract/backend_factory.hpp"
#include "tests/contract/suspension_support.hpp"

using namespace ff;
using namespace ff::test;

CONTRACT_TEST("suspend, deliver, resume, acquire the resumed attempt with its signals, complete") {
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  auto req = suspend_request(lease, {"approval"}, single_on("approval", "approve"));
  req.reason_code = "waiting_for_approval";
  req.resume_policy_json = R"({"resume_target":"runnable"})";
  auto out = suspend_ok(fx, req);
  CHECK(out.status == suspend_status::suspended);
  CHECK(out.suspension_id == req.suspension_id);
  REQUIRE(out.waitpoints.size() == 1);
  const std::string wpid = out.waitpoints[0].waitpoint_id;
  CHECK(wpid == req.waitpoints[0].waitpoint_id);
  CHECK(out.waitpoints[0].waitpoint_key == "approval");
  CHECK(out.waitpoints[0].waitpoint_token == req.waitpoints[0].waitpoint_token);
  CHECK(out.signals.empty());

  // Transition 16: suspended, lease released, attempt paused.
  auto info = info_of(fx, eid);
  CHECK(info.state.lifecycle_phase == "suspended");
  CHECK(info.state.public_state == "suspended");
  CHECK(info.state.ownership_state == "unowned");
  CHECK(info.state.eligibility_state == "not_applicable");
  CHECK(info.state.blocking_reason == "waiting_for_approval");
  CHECK(info.state.attempt_state == "attempt_interrupted");
  // The waitpoint is open (active) with its token.
  auto open = open_waitpoints(fx, eid);
  REQUIRE(open.size() == 1);
  CHECK(open[0].waitpoint_id == wpid);
  CHECK(open[0].state == "active");
  CHECK(open[0].waitpoint_key == "approval");
  CHECK(open[0].required_signal_names == std::vector<std::string>{"approve"});
  CHECK(*fx.backend->get_waitpoint_token(eid, wpid) == req.waitpoints[0].waitpoint_token);
  // No new work while suspended; the old lease can no longer complete or renew.
  CHECK_FALSE(acquire(fx, 7, "default", "w2").acquired);
  CHECK(error_code(fx.backend->complete_execution(complete_request(lease))) ==
        "execution_not_active");
  renew_lease_args renew;
  renew.execution_id = eid;
  renew.fence = fence_of(lease);
  CHECK(error_code(fx.backend->renew_lease(renew)) == "execution_not_active");
  // Suspending again without an idempotency key is rejected.
  CHECK(error_code(fx.backend->suspend_execution(req)) == "execution_not_active");

  auto sig = signal_request(eid, wpid, "approve", "alice");
  auto delivered = deliver_ok(fx, sig);
  CHECK_FALSE(delivered.duplicate);
  CHECK(delivered.signal_id == sig.signal_id);
  CHECK(delivered.effect == "resume_condition_satisfied");
  CHECK(delivered.lane_id == "default");
  CHECK(delivered.became_eligible);

  info = info_of(fx, eid);
  CHECK(info.state.lifecycle_phase == "runnable");
  CHECK(info.state.eligibility_state == "eligible_now");
  CHECK(info.state.public_state == "waiting");
  CHECK(info.state.attempt_state == "attempt_interrupted");
  // A later signal finds the waitpoint closed; its token is gone.
  CHECK(error_code(fx.backend->deliver_signal(signal_request(eid, wpid))) ==
        "waitpoint_closed");
  CHECK(error_code(fx.backend->get_waitpoint_token(eid, wpid)) == "not_found");
  CHECK(open_waitpoints(fx, eid).empty());

  auto resumed = acquire_lease(fx, eid, "w2");
  CHECK(resumed.attempt_type == attempt_kind::resumed);
  CHECK(resumed.attempt_index == 0);
  CHECK(resumed.attempt_id == lease.attempt_id);
  CHECK(resumed.lease_epoch == lease.lease_epoch + 1);
  REQUIRE(resumed.signals.size() == 1);
  CHECK(resumed.signals[0].signal_id == sig.signal_id);
  CHECK(resumed.signals[0].signal_name == "approve");
  CHECK(resumed.signals[0].source_identity == "alice");
  CHECK(resumed.signals[0].payload == sig.payload);
  CHECK(resumed.input_payload == R"({"to":"a@example.com"})");
  info = info_of(fx, eid);
  CHECK(info.state.public_state == "active");
  CHECK(info.state.attempt_state == "running_attempt");

  REQUIRE(fx.backend->complete_execution(complete_request(resumed)).has_value());
  CHECK(public_state_of(fx, eid) == "completed");
}

CONTRACT_TEST("a fresh claim never carries signals; the claim of a resumed attempt does") {
  auto s = create_and_suspend(fx, {"k"}, single_on("k"));
  auto first = signal_request(s.eid, s.wp(0), "anything", "bob");
  deliver_ok(fx, first);

  auto req = acquire_request(7, "default", "w3");
  req.grant_ttl_ms = 5000;
  auto granted = fx.backend->grant_next_in_lane(req);
  REQUIRE(granted.has_value());
  REQUIRE(granted->granted);
  REQUIRE(granted->grant.execution_id == s.eid.value);
  auto resumed = fx.backend->claim_execution(claim_request(s.eid, "w3"));
  REQUIRE_MESSAGE(resumed.has_value(), (resumed ? "" : resumed.error().text()));
  CHECK(resumed->attempt_type == attempt_kind::resumed);
  REQUIRE(resumed->signals.size() == 1);
  CHECK(resumed->signals[0].signal_id == first.signal_id);
  CHECK(resumed->signals[0].source_identity == "bob");
  CHECK(s.lease.signals.empty());
}

CONTRACT_TEST("resume_delay_ms: delayed, then promoted by promote_delayed, then resumed") {
  auto s = create_and_suspend(fx, {"k"}, single_on("k"));
  auto sig = signal_request(s.eid, s.wp(0));
  sig.resume_delay_ms = 60'000;
  const std::int64_t before = now_ms();
  auto out = deliver_ok(fx, sig);
  const std::int64_t after = now_ms();
  CHECK(out.effect == "resume_condition_satisfied");
  CHECK_FALSE(out.became_eligible);
  auto info = info_of(fx, s.eid);
  CHECK(info.state.public_state == "delayed");
  CHECK(info.state.blocking_reason == "waiting_for_resume_delay");
  CHECK(info.state.attempt_state == "attempt_interrupted");
  CHECK_FALSE(acquire(fx, 7, "default", "w2").acquired);

  // Due between before + 60 s and after + 60 s.
  auto early = fx.backend->promote_delayed(scan(7, before + 60'000 - 1));
  REQUIRE(early.has_value());
  CHECK(early->changed == 0);
  auto promoted = fx.backend->promote_delayed(scan(7, after + 60'000));
  REQUIRE(promoted.has_value());
  REQUIRE(promoted->became_eligible.size() == 1);
  CHECK(promoted->became_eligible[0].execution_id == s.eid.value);
  CHECK(public_state_of(fx, s.eid) == "waiting");
  auto resumed = acquire_lease(fx, s.eid, "w2");
  CHECK(resumed.attempt_type == attempt_kind::resumed);
  CHECK(resumed.signals.size() == 1);
}

CONTRACT_TEST("suspend validation under the lease fence") {
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);

  auto stale = suspend_request(lease, {"k"}, single_on("k"));
  stale.fence.lease_epoch += 1;
  CHECK(error_code(fx.backend->suspend_execution(stale)) == "stale_lease");
  auto unfenced = suspend_request(lease, {"k"}, single_on("k"));
  unfenced.fence = {};
  CHECK(error_code(fx.backend->suspend_execution(unfenced)) == "fence_required");
  auto unknown_key = suspend_request(lease, {"k"}, single_on("other"));
  auto r = fx.backend->suspend_execution(unknown_key);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == error_kind::invalid_input);
  CHECK(r.error().text().find("names no waitpoint") != std::string::npos);
  auto none = suspend_request(lease, {}, single_on("k"));
  CHECK(error_code(fx.backend->suspend_execution(none)) == "invalid_input");
  std::vector<std::string> seventeen;
  for (int i = 0; i < 17; ++i)
    seventeen.push_back("k" + std::to_string(i));
  auto too_many = suspend_request(lease, seventeen,
                                  R"({"type":"any_of","waitpoint_keys":["k0"]})");
  CHECK(error_code(fx.backend->suspend_execution(too_many)) == "invalid_input");
  auto timeout_only = suspend_request(lease, {"k"}, R"({"type":"timeout_only"})");
  CHECK(error_code(fx.backend->suspend_execution(timeout_only)) == "invalid_input");
  auto behavior = suspend_request(lease, {"k"}, single_on("k"));
  behavior.timeout_behavior = "explode";
  CHECK(error_code(fx.backend->suspend_execution(behavior)) == "invalid_input");
  // Nothing of the above changed the execution: still active under the lease.
  auto info = info_of(fx, eid);
  CHECK(info.state.public_state == "active");
  CHECK(info.state.ownership_state == "leased");
  CHECK(open_waitpoints(fx, eid).empty());
  renew_lease_args renew;
  renew.execution_id = eid;
  renew.fence = fence_of(lease);
  CHECK(fx.backend->renew_lease(renew).has_value());

  // The default key is wpk:<waitpoint_id>.
  auto defaulted = suspend_request(lease, {""}, R"({"type":"operator_only"})");
  auto out = suspend_ok(fx, defaulted);
  CHECK(out.waitpoints[0].waitpoint_key == "wpk:" + out.waitpoints[0].waitpoint_id);
  CHECK(public_state_of(fx, eid) == "suspended");
}

CONTRACT_TEST("a repeated suspend with the same idempotency key answers the stored outcome") {
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  auto req = suspend_request(lease, {"k"}, single_on("k"));
  req.idempotency_key = "suspend-1";
  auto first = suspend_ok(fx, req);
  const auto before = describe(info_of(fx, eid));

  // Same key, even with other waitpoints: the first answer, no mutation.
  auto again = req;
  again.suspension_id = new_uuid();
  again.waitpoints = fresh_waitpoints(eid, {"k"});
  auto second = suspend_ok(fx, again);
  CHECK(second.suspension_id == first.suspension_id);
  CHECK(second.status == suspend_status::suspended);
  REQUIRE(second.waitpoints.size() == 1);
  CHECK(second.waitpoints[0].waitpoint_id == first.waitpoints[0].waitpoint_id);
  CHECK(second.waitpoints[0].waitpoint_token == first.waitpoints[0].waitpoint_token);
  CHECK(describe(info_of(fx, eid)) == before);
  CHECK(error_code(fx.backend->get_waitpoint_token(eid, again.waitpoints[0].waitpoint_id)) ==
        "not_found");
  auto open = open_waitpoints(fx, eid);
  REQUIRE(open.size() == 1);
  CHECK(open[0].waitpoint_id == first.waitpoints[0].waitpoint_id);
  // Another key is a new suspend and fails on the released lease.
  again.idempotency_key = "suspend-2";
  CHECK(error_code(fx.backend->suspend_execution(again)) == "execution_not_active");
}

CONTRACT_TEST("suspension timeout: auto_resume, escalate, fail, cancel, expire") {
  const std::int64_t soon = now_ms() + 60'000;
  auto auto_resume = create_and_suspend(fx, {"k"}, single_on("k"), soon, "auto_resume");
  auto escalate = create_and_suspend(fx, {"k"}, single_on("k"), soon, "escalate");
  auto fail = create_and_suspend(fx, {"k"}, single_on("k"), soon, "fail");
  auto cancel = create_and_suspend(fx, {"k"}, single_on("k"), soon, "cancel");
  auto expire = create_and_suspend(fx, {"k"}, single_on("k"), soon + 1, "expire");

  auto early = fx.backend->expire_suspensions(scan(7, soon - 1));
  REQUIRE(early.has_value());
  CHECK(early->examined == 0);
  CHECK(early->changed == 0);
  CHECK(public_state_of(fx, fail.eid) == "suspended");

  // One past `soon`: all but the expire one (due a millisecond later).
  auto batch = fx.backend->expire_suspensions(scan(7, soon));
  REQUIRE_MESSAGE(batch.has_value(), (batch ? "" : batch.error().text()));
  CHECK(batch->examined == 4);
  CHECK(batch->changed == 4);
  REQUIRE(batch->became_eligible.size() == 1);
  CHECK(batch->became_eligible[0].execution_id == auto_resume.eid.value);
  CHECK(batch->became_eligible[0].lane_id == "default");
  CHECK(public_state_of(fx, expire.eid) == "suspended");

  auto info = info_of(fx, auto_resume.eid);
  CHECK(info.state.public_state == "waiting");
  CHECK(info.state.attempt_state == "attempt_interrupted");
  CHECK(error_code(fx.backend->deliver_signal(signal_request(auto_resume.eid, auto_resume.wp(0)))) ==
        "waitpoint_closed");
  auto woke = acquire_lease(fx, auto_resume.eid, "w2");
  CHECK(woke.attempt_type == attempt_kind::resumed);
  CHECK(woke.signals.empty());

  info = info_of(fx, escalate.eid);
  CHECK(info.state.public_state == "suspended");
  CHECK(info.state.blocking_reason == "paused_by_operator");

  struct terminal_case {
    const suspended_execution* s;
    const char* state;
  };
  for (const terminal_case& t :
       {terminal_case{&fail, "failed"}, terminal_case{&cancel, "cancelled"}}) {
    CAPTURE(t.state);
    info = info_of(fx, t.s->eid);
    CHECK(info.state.public_state == t.state);
    CHECK(info.last_error_message.rfind("suspension_timeout:", 0) == 0);
    CHECK(read_stream(fx, t.s->eid).closed_reason == "suspension_timeout");
    CHECK(error_code(fx.backend->deliver_signal(signal_request(t.s->eid, t.s->wp(0)))) ==
          "target_not_signalable");
    CHECK(open_waitpoints(fx, t.s->eid).empty());
  }

  auto last = fx.backend->expire_suspensions(scan(7, soon + 1));
  REQUIRE(last.has_value());
  CHECK(last->changed == 1);
  info = info_of(fx, expire.eid);
  CHECK(info.state.public_state == "expired");
  CHECK(info.state.terminal_outcome == "expired");
  // Nothing left to do; the escalated execution times out no more.
  auto idle = fx.backend->expire_suspensions(scan(7, soon + 10));
  REQUIRE(idle.has_value());
  CHECK(idle->examined == 0);
  auto much_later = fx.backend->expire_suspensions(scan(7, soon + 86'400'000));
  REQUIRE(much_later.has_value());
  CHECK(much_later->examined == 0);
  CHECK(public_state_of(fx, escalate.eid) == "suspended");
  // A signal can still resume an escalated execution.
  CHECK(deliver_ok(fx, signal_request(escalate.eid, escalate.wp(0))).effect ==
        "resume_condition_satisfied");
  CHECK(public_state_of(fx, escalate.eid) == "waiting");
}

CONTRACT_TEST("cancel and deadline expiry of a suspended execution close its waitpoints") {
  auto s = create_and_suspend(fx, {"a", "b"},
                              R"({"type":"any_of","waitpoint_keys":["a","b"]})",
                              now_ms() + 3'600'000);
  cancel_args c;
  c.execution_id = s.eid;
  c.reason = "operator said so";
  auto cancelled = fx.backend->cancel_execution(c);
  REQUIRE_MESSAGE(cancelled.has_value(), (cancelled ? "" : cancelled.error().text()));
  CHECK(cancelled->previous_phase == "suspended");
  auto info = info_of(fx, s.eid);
  CHECK(info.state.public_state == "cancelled");
  CHECK(info.cancel_reason == "operator said so");
  CHECK(error_code(fx.backend->get_waitpoint_token(s.eid, s.wp(0))) == "not_found");
  CHECK(error_code(fx.backend->get_waitpoint_token(s.eid, s.wp(1))) == "not_found");
  CHECK(open_waitpoints(fx, s.eid).empty());
  CHECK(read_stream(fx, s.eid).closed_reason == "attempt_cancelled");
  // Its suspension timeout is gone with it.
  CHECK(fx.backend->expire_suspensions(scan(7, now_ms() + 7'200'000))->examined == 0);

  // Execution deadline of a suspended execution.
  auto a = sample_create_args(7);
  a.execution_deadline_at = now_ms() + 600'000;
  REQUIRE(fx.backend->create_execution(a).has_value());
  auto lease = acquire_lease(fx, a.execution_id);
  auto suspended = suspend_ok(fx, suspend_request(lease, {"k"}, single_on("k")));
  REQUIRE(suspended.status == suspend_status::suspended);
  auto expired = fx.backend->expire_execution_deadlines(scan(7, a.execution_deadline_at));
  REQUIRE(expired.has_value());
  CHECK(expired->changed == 1);
  info = info_of(fx, a.execution_id);
  CHECK(info.state.public_state == "expired");
  CHECK(info.last_error_message == "execution_deadline");
  CHECK(open_waitpoints(fx, a.execution_id).empty());
  CHECK(error_code(fx.backend->deliver_signal(
            signal_request(a.execution_id, suspended.waitpoints[0].waitpoint_id))) ==
        "target_not_signalable");
}
