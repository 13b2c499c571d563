// Suspension on the Valkey layout: exec_core fields, the lease key and
// lease indexes, the suspended / timeout indexes, the suspension,
// waitpoint, condition and signal hashes; the resumed claim's Lua reply.

#include <doctest/doctest.h>

#include "tests/valkey/store_support.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("suspend and resume: exec_core, indexes, suspension / waitpoint / signal hashes") {
  valkey_fixture fx;
  const auto eid = create(fx);
  const std::string tag = tag_of(eid);
  auto lease = acquire_lease(fx, eid);
  auto req = suspend_request(lease, {"approval"}, single_on("approval", "approve"));
  req.reason_code = "waiting_for_approval";
  req.resume_policy_json = R"({"resume_target":"runnable"})";
  auto out = suspend_ok(fx, req);
  const std::string wpid = out.waitpoints.at(0).waitpoint_id;

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

  auto sig = signal_request(eid, wpid, "approve", "alice");
  REQUIRE(deliver_ok(fx, sig).became_eligible);
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
  CHECK(stored["target_execution_id"] == eid.value);

  auto resumed = acquire_lease(fx, eid, "w2");
  REQUIRE(resumed.attempt_type == attempt_kind::resumed);
  core = consistent_core(fx, eid);
  CHECK(core["public_state"] == "active");
  CHECK(core["current_worker_instance_id"] == "w2");
  CHECK(hash_of(fx, lk::attempt_key(eid, 0))["attempt_state"] == "started");
  CHECK(fx.cmd({"EXISTS", lk::lease_current_key(eid)}).integer == 1);

  REQUIRE(fx.backend->complete_execution(complete_request(resumed)).has_value());
  CHECK(consistent_core(fx, eid)["public_state"] == "completed");
}

TEST_CASE("a resumed execution: ff_claim_execution answers use_claim_resumed_execution") {
  valkey_fixture fx;
  auto s = create_and_suspend(fx, {"k"}, single_on("k"));
  deliver_ok(fx, signal_request(s.eid, s.wp(0), "anything", "bob"));

  claim_grant_args g;
  g.execution_id = s.eid;
  g.worker_id = "pool-w3";
  g.worker_instance_id = "w3";
  g.lane_id = "default";
  REQUIRE(fx.backend->issue_claim_grant(g).has_value());
  auto c = claim_request(s.eid, "w3");
  auto fresh = fx.fcall_on_execution("ff_claim_execution", s.eid.value, claim_argv(c));
  CHECK_FALSE(fresh.ok);
  CHECK(fresh.status == "use_claim_resumed_execution");
  // claim_execution goes on to the resumed claim, consuming the grant.
  auto resumed = fx.backend->claim_execution(c);
  REQUIRE_MESSAGE(resumed.has_value(), (resumed ? "" : resumed.error().text()));
  CHECK(resumed->attempt_type == attempt_kind::resumed);
  CHECK(resumed->signals.size() == 1);
  CHECK(fx.cmd({"EXISTS", lk::claim_grant_key(s.eid)}).integer == 0);
  CHECK(consistent_core(fx, s.eid)["public_state"] == "active");
}

TEST_CASE("resume_delay_ms parks the execution in the delayed set") {
  valkey_fixture fx;
  auto s = create_and_suspend(fx, {"k"}, single_on("k"));
  const std::string tag = tag_of(s.eid);
  auto sig = signal_request(s.eid, s.wp(0));
  sig.resume_delay_ms = 60'000;
  const std::int64_t before = now_ms();
  deliver_ok(fx, sig);
  auto core = consistent_core(fx, s.eid);
  CHECK(core["public_state"] == "delayed");
  CHECK(core["blocking_reason"] == "waiting_for_resume_delay");
  const auto due = score_of(fx, lk::lane_delayed_key(tag, "default"), s.eid);
  REQUIRE(due.has_value());
  CHECK(*due >= before + 60'000);
  CHECK(*due <= now_ms() + 60'000);
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key(tag, "default"), s.eid).has_value());
  CHECK_FALSE(score_of(fx, lk::lane_suspended_key(tag, "default"), s.eid).has_value());

  REQUIRE(fx.backend->promote_delayed(scan(7, *due))->changed == 1);
  CHECK(consistent_core(fx, s.eid)["public_state"] == "waiting");
  CHECK_FALSE(score_of(fx, lk::lane_delayed_key(tag, "default"), s.eid).has_value());
  CHECK(score_of(fx, lk::lane_eligible_key(tag, "default"), s.eid).has_value());
}

TEST_CASE("a refused suspend writes nothing; the default waitpoint key") {
  valkey_fixture fx;
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  auto stale = suspend_request(lease, {"k"}, single_on("k"));
  stale.fence.lease_epoch += 1;
  REQUIRE_FALSE(fx.backend->suspend_execution(stale).has_value());
  auto too_many = suspend_request(lease, {"k"}, R"({"type":"timeout_only"})");
  REQUIRE_FALSE(fx.backend->suspend_execution(too_many).has_value());
  auto core = consistent_core(fx, eid);
  CHECK(core["public_state"] == "active");
  CHECK(core["current_lease_id"] == lease.lease_id);
  CHECK(fx.cmd({"EXISTS", lk::suspension_current_key(eid)}).integer == 0);
  CHECK(fx.cmd({"EXISTS", lk::waitpoint_hash_key(tag_of(eid), stale.waitpoints[0].waitpoint_id)})
            .integer == 0);

  auto defaulted = suspend_request(lease, {""}, R"({"type":"operator_only"})");
  auto out = suspend_ok(fx, defaulted);
  const std::string& wpid = out.waitpoints[0].waitpoint_id;
  CHECK(waitpoint_of(fx, eid, wpid)["waitpoint_key"] == "wpk:" + wpid);
  CHECK(consistent_core(fx, eid)["public_state"] == "suspended");
}

TEST_CASE("a repeated suspend with the same idempotency key rewrites nothing") {
  valkey_fixture fx;
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  auto req = suspend_request(lease, {"k"}, single_on("k"));
  req.idempotency_key = "suspend-1";
  suspend_ok(fx, req);
  const auto susp_before = suspension_of(fx, eid);
  const auto core_before = core_of(fx, eid);

  auto again = req;
  again.suspension_id = new_uuid();
  again.waitpoints = fresh_waitpoints(eid, {"k"});
  suspend_ok(fx, again);
  CHECK(suspension_of(fx, eid) == susp_before);
  CHECK(core_of(fx, eid) == core_before);
  CHECK(fx.cmd({"EXISTS", lk::waitpoint_hash_key(tag_of(eid), again.waitpoints[0].waitpoint_id)})
            .integer == 0);
}

TEST_CASE("suspension timeouts: the indexes, suspension and waitpoint close reasons") {
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

  REQUIRE(fx.backend->expire_suspensions(scan(7, soon - 1))->changed == 0);
  CHECK(consistent_core(fx, fail.eid)["public_state"] == "suspended");
  REQUIRE(fx.backend->expire_suspensions(scan(7, soon))->changed == 4);
  CHECK(consistent_core(fx, expire.eid)["public_state"] == "suspended");

  auto core = consistent_core(fx, auto_resume.eid);
  CHECK(core["public_state"] == "waiting");
  CHECK(core["attempt_state"] == "attempt_interrupted");
  CHECK(suspension_of(fx, auto_resume.eid)["close_reason"] == "timed_out_auto_resume");
  CHECK(waitpoint_of(fx, auto_resume.eid, auto_resume.wp(0))["close_reason"] ==
        "timed_out_auto_resume");
  CHECK(score_of(fx, lk::lane_eligible_key(tag, "default"), auto_resume.eid).has_value());

  core = consistent_core(fx, escalate.eid);
  CHECK(core["public_state"] == "suspended");
  CHECK(core["blocking_reason"] == "paused_by_operator");
  auto esc = suspension_of(fx, escalate.eid);
  CHECK(esc["reason_code"] == "waiting_for_operator_review");
  CHECK(esc["timeout_at"].empty());
  CHECK(esc["closed_at"].empty());
  CHECK_FALSE(score_of(fx, lk::suspension_timeout_key(tag), escalate.eid).has_value());
  CHECK(score_of(fx, lk::lane_suspended_key(tag, "default"), escalate.eid) == 9999999999999);

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
  }

  REQUIRE(fx.backend->expire_suspensions(scan(7, soon + 1))->changed == 1);
  CHECK(consistent_core(fx, expire.eid)["public_state"] == "expired");
  CHECK(suspension_of(fx, expire.eid)["close_reason"] == "timed_out_expire");
}

TEST_CASE("cancel and deadline expiry of a suspended execution close its hashes and indexes") {
  valkey_fixture fx;
  auto s = create_and_suspend(fx, {"a", "b"},
                              R"({"type":"any_of","waitpoint_keys":["a","b"]})",
                              now_ms() + 3'600'000);
  const std::string tag = tag_of(s.eid);
  cancel_args c;
  c.execution_id = s.eid;
  c.reason = "operator said so";
  REQUIRE(fx.backend->cancel_execution(c).has_value());
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

  // Execution deadline of a suspended execution, made due by hand.
  auto d = create_and_suspend(fx, {"k"}, single_on("k"));
  fx.cmd({"ZADD", lk::execution_deadline_key(tag), "1000", d.eid.value});
  auto expired = fx.backend->expire_execution_deadlines(scan(7, 2000));
  REQUIRE(expired.has_value());
  CHECK(expired->changed == 1);
  CHECK(consistent_core(fx, d.eid)["public_state"] == "expired");
  CHECK(waitpoint_of(fx, d.eid, d.wp(0))["close_reason"] == "expired");
  CHECK(suspension_of(fx, d.eid)["close_reason"] == "expired");
}
