// Suspend (transition 16), resume by signal (transition 17) into a resumed
// attempt carrying the signals, resume delay, idempotent suspend, the
// suspension-timeout scanner and cancel / expire of a suspended execution.

#include <doctest/doctest.h>

#include "tests/backend/suspension_support.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("suspend, deliver, resume, acquire the resumed attempt with its signals, complete") {
  valkey_fixture fx;
  const std::string eid = create(fx);
  const std::string tag = tag_of(eid);
  auto lease = acquire_lease(fx, eid);
  auto req = suspend_request(lease, {"approval"}, single_on("approval", "approve"));
  req.reason_code = "waiting_for_approval";
  req.resume_policy_json = R"({"resume_target":"runnable"})";
  auto out = suspend_ok(fx, req);
  CHECK(out.status == "suspended");
  CHECK(out.suspension_id == req.suspension_id);
  REQUIRE(out.waitpoints.size() == 1);
  const std::string wpid = out.waitpoints[0].waitpoint_id;
  CHECK(wpid == req.waitpoints[0].waitpoint_id);
  CHECK(out.waitpoints[0].waitpoint_key == "approval");
  CHECK(out.waitpoints[0].waitpoint_token == req.waitpoints[0].waitpoint_token);
  CHECK(out.signals.empty());

  // Transition 16: suspended, lease released, attempt paused, indexes.
  auto core = consistent_core(fx, eid);
  CHECK(core["lifecycle_phase"] == "suspended");
  CHECK(core["public_state"] == "suspended");
  CHECK(core["ownership_state"] == "unowned");
  CHECK(core["eligibility_state"] == "not_applicable");
  CHECK(core["blocking_reason"] == "waiting_for_approval");
  CHECK(core["attempt_state"] == "attempt_interrupted");
  CHECK(core["current_suspension_id"] == req.suspension_id);
  CHECK(core["current_waitpoint_id"] == wpid);
  CHECK(core["current_worker_instance_id"].empty());
  CHECK(fx.cmd({"EXISTS", lk::lease_current_key(eid)}).integer == 0);
  CHECK_FALSE(score_of(fx, lk::lease_expiry_key(tag), eid).has_value());
  CHECK_FALSE(score_of(fx, lk::lane_active_key(tag, "default"), eid).has_value());
  CHECK(score_of(fx, lk::lane_suspended_key(tag, "default"), eid) == 9999999999999);
  CHECK_FALSE(score_of(fx, lk::suspension_timeout_key(tag), eid).has_value());
  CHECK_FALSE(in_set(fx, lk::worker_leases_key(tag, "w1"), eid));
  CHECK(hash_of(fx, lk::attempt_key(eid, 0))["attempt_state"] == "suspended");
  auto wp = waitpoint_of(fx, eid, wpid);
  CHECK(wp["state"] == "active");
  CHECK(wp["waitpoint_token"] == req.waitpoints[0].waitpoint_token);
  CHECK(wp["suspension_id"] == req.suspension_id);
  auto susp = suspension_of(fx, eid);
  CHECK(susp["closed_at"].empty());
  CHECK(susp["resume_policy_json"] == R"({"resume_target":"runnable"})");
  CHECK(susp["resume_condition_json"] ==
        R"({"type":"single","waitpoint_key":"approval","signal_name":"approve"})");
  // No new work while suspended; the old lease can no longer complete.
  CHECK_FALSE(acquire(fx, 7, "default", "w2").acquired);
  CHECK(error_code(fx.backend->complete_execution(complete_request(lease))) ==
        "execution_not_active");
  // Suspending again without an idempotency key is rejected.
  CHECK(error_code(fx.backend->suspend_execution(req)) == "execution_not_active");

  auto sig = signal_request(eid, wpid, "approve", "alice");
  auto delivered = deliver_ok(fx, sig);
  CHECK_FALSE(delivered.duplicate);
  CHECK(delivered.signal_id == sig.signal_id);
  CHECK(delivered.effect == "resume_condition_satisfied");
  CHECK(delivered.lane_id == "default");
  CHECK(delivered.became_eligible);

  core = consistent_core(fx, eid);
  CHECK(core["lifecycle_phase"] == "runnable");
  CHECK(core["eligibility_state"] == "eligible_now");
  CHECK(core["public_state"] == "waiting");
  CHECK(core["attempt_state"] == "attempt_interrupted");
  CHECK(score_of(fx, lk::lane_eligible_key(tag, "default"), eid).has_value());
  CHECK_FALSE(score_of(fx, lk::lane_suspended_key(tag, "default"), eid).has_value());
  wp = waitpoint_of(fx, eid, wpid);
  CHECK(wp["state"] == "closed");
  CHECK(wp["close_reason"] == "resumed");
  CHECK(wp["signal_count"] == "1");
  CHECK(wp["matched_signal_count"] == "1");
  susp = suspension_of(fx, eid);
  CHECK(susp["close_reason"] == "resumed");
  CHECK(susp["closer_signal_id"] == sig.signal_id);
  CHECK(hash_of(fx, lk::waitpoint_condition_key(tag, wpid))["closed"] == "1");
  auto stored = hash_of(fx, lk::signal_hash_key(tag, sig.signal_id));
  CHECK(stored["observed_effect"] == "resume_condition_satisfied");
  CHECK(stored["target_execution_id"] == eid);
  // A later signal finds the waitpoint closed.
  CHECK(error_code(fx.backend->deliver_signal(signal_request(eid, wpid))) ==
        "waitpoint_closed");

  auto resumed = acquire_lease(fx, eid, "w2");
  CHECK(resumed.attempt_type == "resumed");
  CHECK(resumed.attempt_index == 0);
  CHECK(resumed.attempt_id == lease.attempt_id);
  CHECK(resumed.lease_epoch == lease.lease_epoch + 1);
  REQUIRE(resumed.signals.size() == 1);
  CHECK(resumed.signals[0].signal_id == sig.signal_id);
  CHECK(resumed.signals[0].signal_name == "approve");
  CHECK(resumed.signals[0].source_identity == "alice");
  CHECK(resumed.signals[0].payload == sig.payload);
  CHECK(resumed.input_payload == R"({"to":"a@example.com"})");
  CHECK(consistent_core(fx, eid)["public_state"] == "active");
  CHECK(hash_of(fx, lk::attempt_key(eid, 0))["attempt_state"] == "started");

  REQUIRE(fx.backend->complete_execution(complete_request(resumed)).has_value());
  core = consistent_core(fx, eid);
  CHECK(core["public_state"] == "completed");
}

TEST_CASE("a fresh claim never carries signals; claim_resumed_execution does") {
  valkey_fixture fx;
  auto s = create_and_suspend(fx, {"k"}, single_on("k"));
  auto first = signal_request(s.eid, s.wp(0), "anything", "bob");
  deliver_ok(fx, first);

  claim_grant_args g;
  g.execution_id = s.eid;
  g.worker_id = "pool-w3";
  g.worker_instance_id = "w3";
  g.lane_id = "default";
  REQUIRE(fx.backend->issue_claim_grant(g).has_value());
  claim_execution_args c;
  c.execution_id = s.eid;
  c.worker_id = "pool-w3";
  c.worker_instance_id = "w3";
  c.lane_id = "default";
  c.lease_id = new_uuid();
  c.attempt_id = new_uuid();
  CHECK(error_code(fx.backend->claim_execution(c)) == "use_claim_resumed_execution");
  auto resumed = fx.backend->claim_resumed_execution(c);
  REQUIRE_MESSAGE(resumed.has_value(), (resumed ? "" : resumed.error().text()));
  CHECK(resumed->attempt_type == "resumed");
  REQUIRE(resumed->signals.size() == 1);
  CHECK(resumed->signals[0].signal_id == first.signal_id);
  CHECK(resumed->signals[0].source_identity == "bob");
  CHECK(s.lease.signals.empty());
}

TEST_CASE("resume_delay_ms: delayed, then promoted by promote_delayed, then resumed") {
  valkey_fixture fx;
  auto s = create_and_suspend(fx, {"k"}, single_on("k"));
  const std::string tag = tag_of(s.eid);
  auto sig = signal_request(s.eid, s.wp(0));
  sig.resume_delay_ms = 60'000;
  const std::int64_t before = now_ms();
  auto out = deliver_ok(fx, sig);
  CHECK(out.effect == "resume_condition_satisfied");
  CHECK_FALSE(out.became_eligible);
  auto core = consistent_core(fx, s.eid);
  CHECK(core["public_state"] == "delayed");
  CHECK(core["blocking_reason"] == "waiting_for_resume_delay");
  CHECK(core["attempt_state"] == "attempt_interrupted");
  const auto due = score_of(fx, lk::lane_delayed_key(tag, "default"), s.eid);
  REQUIRE(due.has_value());
  CHECK(*due >= before + 60'000);
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key(tag, "default"), s.eid).has_value());
  CHECK_FALSE(acquire(fx, 7, "default", "w2").acquired);

  auto early = fx.backend->promote_delayed(scan(7, *due - 1));
  REQUIRE(early.has_value());
  CHECK(early->changed == 0);
  auto promoted = fx.backend->promote_delayed(scan(7, *due));
  REQUIRE(promoted.has_value());
  REQUIRE(promoted->became_eligible.size() == 1);
  CHECK(promoted->became_eligible[0].execution_id == s.eid);
  CHECK(consistent_core(fx, s.eid)["public_state"] == "waiting");
  auto resumed = acquire_lease(fx, s.eid, "w2");
  CHECK(resumed.attempt_type == "resumed");
  CHECK(resumed.signals.size() == 1);
}

TEST_CASE("suspend validation under the lease fence") {
  valkey_fixture fx;
  const std::string eid = create(fx);
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
  // Nothing of the above changed the execution.
  auto core = consistent_core(fx, eid);
  CHECK(core["public_state"] == "active");
  CHECK(core["current_lease_id"] == lease.lease_id);

  // The default key is wpk:<waitpoint_id>.
  auto defaulted = suspend_request(lease, {""}, R"({"type":"operator_only"})");
  auto out = suspend_ok(fx, defaulted);
  CHECK(out.waitpoints[0].waitpoint_key == "wpk:" + out.waitpoints[0].waitpoint_id);
  CHECK(consistent_core(fx, eid)["public_state"] == "suspended");
}

TEST_CASE("a repeated suspend with the same idempotency key answers the stored outcome") {
  valkey_fixture fx;
  const std::string eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  auto req = suspend_request(lease, {"k"}, single_on("k"));
  req.idempotency_key = "suspend-1";
  auto first = suspend_ok(fx, req);
  const auto susp_before = suspension_of(fx, eid);
  const auto core_before = core_of(fx, eid);

  // Same key, even with other waitpoints: the first answer, no mutation.
  auto again = req;
  again.suspension_id = new_uuid();
  again.waitpoints = fresh_waitpoints(eid, {"k"});
  auto second = suspend_ok(fx, again);
  CHECK(second.suspension_id == first.suspension_id);
  CHECK(second.status == "suspended");
  REQUIRE(second.waitpoints.size() == 1);
  CHECK(second.waitpoints[0].waitpoint_id == first.waitpoints[0].waitpoint_id);
  CHECK(second.waitpoints[0].waitpoint_token == first.waitpoints[0].waitpoint_token);
  CHECK(suspension_of(fx, eid) == susp_before);
  CHECK(core_of(fx, eid) == core_before);
  CHECK(fx.cmd({"EXISTS", lk::waitpoint_hash_key(tag_of(eid), again.waitpoints[0].waitpoint_id)})
            .integer == 0);
  // Another key is a new suspend and fails on the released lease.
  again.idempotency_key = "suspend-2";
  CHECK(error_code(fx.backend->suspend_execution(again)) == "execution_not_active");
}

TEST_CASE("suspension timeout: auto_resume, escalate, fail, cancel, expire") {
  valkey_fixture fx;
  const std::int64_t soon = now_ms() + 60'000;
  auto auto_resume = create_and_suspend(fx, {"k"}, single_on("k"), soon, "auto_resume");
  auto escalate = create_and_suspend(fx, {"k"}, single_on("k"), soon, "escalate");
  auto fail = create_and_suspend(fx, {"k"}, single_on("k"), soon, "fail");
  auto cancel = create_and_suspend(fx, {"k"}, single_on("k"), soon, "cancel");
  auto expire = create_and_suspend(fx, {"k"}, single_on("k"), soon + 1, "expire");
  const std::string tag = tag_of(fail.eid);
  CHECK(score_of(fx, lk::suspension_timeout_key(tag), fail.eid) == soon);
  CHECK(score_of(fx, lk::lane_suspended_key(tag, "default"), fail.eid) == soon);

  auto early = fx.backend->expire_suspensions(scan(7, soon - 1));
  REQUIRE(early.has_value());
  CHECK(early->examined == 0);
  CHECK(early->changed == 0);
  CHECK(consistent_core(fx, fail.eid)["public_state"] == "suspended");

  // One past `soon`: all but the expire one (due a millisecond later).
  auto batch = fx.backend->expire_suspensions(scan(7, soon));
  REQUIRE_MESSAGE(batch.has_value(), (batch ? "" : batch.error().text()));
  CHECK(batch->examined == 4);
  CHECK(batch->changed == 4);
  REQUIRE(batch->became_eligible.size() == 1);
  CHECK(batch->became_eligible[0].execution_id == auto_resume.eid);
  CHECK(batch->became_eligible[0].lane_id == "default");
  CHECK(consistent_core(fx, expire.eid)["public_state"] == "suspended");

  auto core = consistent_core(fx, auto_resume.eid);
  CHECK(core["public_state"] == "waiting");
  CHECK(core["attempt_state"] == "attempt_interrupted");
  CHECK(suspension_of(fx, auto_resume.eid)["close_reason"] == "timed_out_auto_resume");
  CHECK(waitpoint_of(fx, auto_resume.eid, auto_resume.wp(0))["close_reason"] ==
        "timed_out_auto_resume");

  core = consistent_core(fx, escalate.eid);
  CHECK(core["public_state"] == "suspended");
  CHECK(core["blocking_reason"] == "paused_by_operator");
  auto esc = suspension_of(fx, escalate.eid);
  CHECK(esc["reason_code"] == "waiting_for_operator_review");
  CHECK(esc["timeout_at"].empty());
  CHECK(esc["closed_at"].empty());
  CHECK_FALSE(score_of(fx, lk::suspension_timeout_key(tag), escalate.eid).has_value());
  CHECK(score_of(fx, lk::lane_suspended_key(tag, "default"), escalate.eid) == 9999999999999);
  // Escalated executions can still be resumed by a signal.
  CHECK(deliver_ok(fx, signal_request(escalate.eid, escalate.wp(0))).effect ==
        "resume_condition_satisfied");

  struct terminal_case {
    const suspended_execution* s;
    const char* state;
    const char* attempt_end;
    const char* closed;
  };
  for (const terminal_case& t :
       {terminal_case{&fail, "failed", "ended_failure", "timed_out_fail"},
        terminal_case{&cancel, "cancelled", "ended_cancelled", "timed_out_cancel"}}) {
    CAPTURE(t.state);
    core = consistent_core(fx, t.s->eid);
    CHECK(core["public_state"] == t.state);
    CHECK(core["failure_reason"].rfind("suspension_timeout:", 0) == 0);
    CHECK(hash_of(fx, lk::attempt_key(t.s->eid, 0))["attempt_state"] == t.attempt_end);
    CHECK(suspension_of(fx, t.s->eid)["close_reason"] == t.closed);
    auto wp = waitpoint_of(fx, t.s->eid, t.s->wp(0));
    CHECK(wp["state"] == "closed");
    CHECK(wp["close_reason"] == t.closed);
    CHECK_FALSE(score_of(fx, lk::lane_suspended_key(tag, "default"), t.s->eid).has_value());
    CHECK(score_of(fx, lk::lane_terminal_key(tag, "default"), t.s->eid).has_value());
    read_stream_args read;
    read.execution_id = t.s->eid;
    auto stream = fx.backend->read_attempt_stream(read);
    REQUIRE(stream.has_value());
    CHECK(stream->closed_reason == "suspension_timeout");
    CHECK(error_code(fx.backend->deliver_signal(signal_request(t.s->eid, t.s->wp(0)))) ==
          "target_not_signalable");
  }

  auto last = fx.backend->expire_suspensions(scan(7, soon + 1));
  REQUIRE(last.has_value());
  CHECK(last->changed == 1);
  CHECK(consistent_core(fx, expire.eid)["public_state"] == "expired");
  CHECK(suspension_of(fx, expire.eid)["close_reason"] == "timed_out_expire");
  // Nothing left to do.
  auto idle = fx.backend->expire_suspensions(scan(7, soon + 10));
  REQUIRE(idle.has_value());
  CHECK(idle->examined == 0);
}

TEST_CASE("cancel and deadline expiry of a suspended execution close its waitpoints") {
  valkey_fixture fx;
  auto s = create_and_suspend(fx, {"a", "b"},
                              R"({"type":"any_of","waitpoint_keys":["a","b"]})",
                              now_ms() + 3'600'000);
  const std::string tag = tag_of(s.eid);
  cancel_args c;
  c.execution_id = s.eid;
  c.reason = "operator said so";
  auto cancelled = fx.backend->cancel_execution(c);
  REQUIRE_MESSAGE(cancelled.has_value(), (cancelled ? "" : cancelled.error().text()));
  CHECK(cancelled->previous_phase == "suspended");
  auto core = consistent_core(fx, s.eid);
  CHECK(core["public_state"] == "cancelled");
  CHECK(hash_of(fx, lk::attempt_key(s.eid, 0))["attempt_state"] == "ended_cancelled");
  for (std::size_t i = 0; i < 2; ++i) {
    auto wp = waitpoint_of(fx, s.eid, s.wp(i));
    CHECK(wp["state"] == "closed");
    CHECK(wp["close_reason"] == "cancelled");
    CHECK(hash_of(fx, lk::waitpoint_condition_key(tag, s.wp(i)))["closed_reason"] ==
          "cancelled");
  }
  CHECK(suspension_of(fx, s.eid)["close_reason"] == "cancelled");
  CHECK_FALSE(score_of(fx, lk::suspension_timeout_key(tag), s.eid).has_value());
  CHECK_FALSE(score_of(fx, lk::lane_suspended_key(tag, "default"), s.eid).has_value());
  CHECK(error_code(fx.backend->get_waitpoint_token(s.eid, s.wp(0))) == "not_found");

  // Execution deadline of a suspended execution.
  auto d = create_and_suspend(fx, {"k"}, single_on("k"));
  fx.cmd({"ZADD", lk::execution_deadline_key(tag), "1000", d.eid});
  auto expired = fx.backend->expire_execution_deadlines(scan(7, 2000));
  REQUIRE(expired.has_value());
  CHECK(expired->changed == 1);
  CHECK(consistent_core(fx, d.eid)["public_state"] == "expired");
  CHECK(waitpoint_of(fx, d.eid, d.wp(0))["close_reason"] == "expired");
  CHECK(suspension_of(fx, d.eid)["close_reason"] == "expired");
}
