// Claims against a real redis-server: acquire_next_in_lane, claim grants,
// queue order, capabilities, priority changes, progress.

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "tests/backend/lifecycle_support.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("happy path: create, acquire, renew, frames, complete, read stream and result") {
  valkey_fixture fx;
  auto a = sample_create_args(7);
  a.tags = {{"app.team", "payments"}};
  a.policy_json = R"({"max_replay_count":3})";
  REQUIRE(fx.backend->create_execution(a).has_value());
  const std::string& eid = a.execution_id;
  const std::string tag = tag_of(eid);

  auto req = acquire_request(7, "default", "w1", "", 30'000);
  const std::int64_t before = now_ms();
  auto got = fx.backend->acquire_next_in_lane(req);
  const std::int64_t after = now_ms();
  REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().text()));
  REQUIRE(got->acquired);
  CHECK(got->eligible_remaining == 0);
  CHECK(got->skipped_capability == 0);
  const claimed_lease& l = got->lease;
  CHECK(l.execution_id == eid);
  CHECK(l.attempt_index == 0);
  CHECK(l.attempt_id == req.attempt_id);
  CHECK(l.attempt_type == "initial");
  CHECK(l.lease_id == req.lease_id);
  CHECK(l.lease_epoch == 1);
  CHECK(l.lease_expires_at >= before + 30'000);
  CHECK(l.lease_expires_at <= after + 30'000);
  CHECK(l.lane_id == "default");
  CHECK(l.execution_kind == "send_email");
  CHECK(l.input_payload == a.input_payload);
  CHECK(l.payload_encoding == "json");
  CHECK(l.tags == a.tags);
  CHECK(l.policy_json == a.policy_json);

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
  CHECK(renewed->lease_expires_at > l.lease_expires_at);
  CHECK_FALSE(renewed->cancel_requested);
  CHECK(score_of(fx, lk::lease_expiry_key(tag), eid) == renewed->lease_expires_at);
  CHECK(core_of(fx, eid)["lease_expires_at"] == std::to_string(renewed->lease_expires_at));

  append_frame_args frame;
  frame.execution_id = eid;
  frame.fence = fence_of(l);
  frame.frame_type = "stdout";
  frame.payload = "hello";
  auto f1 = fx.backend->append_frame(frame);
  REQUIRE_MESSAGE(f1.has_value(), (f1 ? "" : f1.error().text()));
  CHECK(f1->frame_count == 1);
  CHECK(f1->summary_version == 0);
  frame.frame_type = "event";
  frame.payload = "world";
  frame.summary_patch = R"({"step":2})";
  auto f2 = fx.backend->append_frame(frame);
  REQUIRE(f2.has_value());
  CHECK(f2->frame_count == 2);
  CHECK(f2->summary_version == 1);

  auto done = fx.backend->complete_execution(complete_request(l, "the result"));
  REQUIRE_MESSAGE(done.has_value(), (done ? "" : done.error().text()));
  CHECK_FALSE(done->replayed);

  core = consistent_core(fx, eid);
  CHECK(core["lifecycle_phase"] == "terminal");
  CHECK(core["terminal_outcome"] == "success");
  CHECK(core["ownership_state"] == "unowned");
  CHECK(core["attempt_state"] == "attempt_terminal");
  CHECK(core["public_state"] == "completed");
  CHECK_FALSE(core["completed_at"].empty());
  auto state = fx.backend->get_execution_state(eid);
  REQUIRE(state.has_value());
  CHECK(*state == "completed");
  auto result = fx.backend->get_execution_result(eid);
  REQUIRE(result.has_value());
  CHECK(result->found);
  CHECK(result->bytes == "the result");
  CHECK(hash_of(fx, lk::attempt_key(eid, 0))["attempt_state"] == "ended_success");

  read_stream_args read;
  read.execution_id = eid;
  read.attempt_index = 0;
  auto frames = fx.backend->read_attempt_stream(read);
  REQUIRE_MESSAGE(frames.has_value(), (frames ? "" : frames.error().text()));
  REQUIRE(frames->frames.size() == 2);
  CHECK(frames->frames[0].id == f1->entry_id);
  CHECK(frames->frames[0].fields.at("frame_type") == "stdout");
  CHECK(frames->frames[0].fields.at("payload") == "hello");
  CHECK(frames->frames[0].fields.at("mode") == "durable");
  CHECK(frames->frames[0].fields.at("source") == "worker");
  CHECK(frames->frames[0].fields.at("encoding") == "utf8");
  CHECK(frames->frames[1].fields.at("payload") == "world");
  CHECK(frames->frames[1].fields.at("summary_version") == "1");
  CHECK(frames->closed_reason == "attempt_success");
  CHECK(frames->closed_at == std::stoll(core["completed_at"]));

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

  // Nothing is left to acquire.
  auto empty = acquire(fx, 7, "default", "w2");
  CHECK_FALSE(empty.acquired);
  CHECK(empty.eligible_remaining == 0);
}

TEST_CASE("issue_claim_grant then claim_execution") {
  valkey_fixture fx;
  const std::string eid = create(fx, 9);

  claim_grant_args g;
  g.execution_id = eid;
  g.worker_id = "pool-a";
  g.worker_instance_id = "a-1";
  g.lane_id = "default";
  g.grant_ttl_ms = 5000;
  const std::int64_t before = now_ms();
  auto grant = fx.backend->issue_claim_grant(g);
  REQUIRE_MESSAGE(grant.has_value(), (grant ? "" : grant.error().text()));
  CHECK(grant->execution_id == eid);
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
  CHECK(lease->attempt_type == "initial");
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

  claim_execution_args resumed = c;
  auto not_resumed = fx.backend->claim_resumed_execution(resumed);
  CHECK(error_code(not_resumed) == "execution_not_leaseable");
}

TEST_CASE("acquire follows priority, then creation order within a lane") {
  valkey_fixture fx;
  const std::string low = create(fx, 7, "default", "{}", 1);
  const std::string first_high = create(fx, 7, "default", "{}", 5);
  // Creation order is by created_at (ms): keep the two apart.
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  const std::string second_high = create(fx, 7, "default", "{}", 5);
  REQUIRE(core_of(fx, first_high)["created_at"] < core_of(fx, second_high)["created_at"]);
  const std::string other_lane = create(fx, 7, "gpu", "{}", 9000);

  auto a1 = acquire(fx, 7, "default", "w1");
  REQUIRE(a1.acquired);
  CHECK(a1.lease.execution_id == first_high);
  CHECK(a1.eligible_remaining == 2);
  auto a2 = acquire(fx, 7, "default", "w1");
  REQUIRE(a2.acquired);
  CHECK(a2.lease.execution_id == second_high);
  auto a3 = acquire(fx, 7, "default", "w1");
  REQUIRE(a3.acquired);
  CHECK(a3.lease.execution_id == low);
  CHECK(a3.eligible_remaining == 0);
  CHECK_FALSE(acquire(fx, 7, "default", "w1").acquired);
  // Another partition's queue of the same lane is a different queue.
  CHECK_FALSE(acquire(fx, 8, "gpu", "w1").acquired);
  auto g = acquire(fx, 7, "gpu", "w1");
  REQUIRE(g.acquired);
  CHECK(g.lease.execution_id == other_lane);
}

TEST_CASE("a capability mismatch is skipped and counted; a capable worker gets it") {
  valkey_fixture fx;
  const std::string needs_gpu = create(fx, 7, "default", "{}", 5, "cuda,gpu");
  const std::string plain = create(fx, 7, "default", "{}", 0);

  auto first = acquire(fx, 7, "default", "cpu-1", "linux");
  REQUIRE(first.acquired);
  CHECK(first.lease.execution_id == plain);
  CHECK(first.skipped_capability == 1);
  CHECK(first.eligible_remaining == 1);
  CHECK_FALSE(core_of(fx, needs_gpu)["last_capability_mismatch_at"].empty());

  auto nothing = acquire(fx, 7, "default", "cpu-1", "gpu,linux");
  CHECK_FALSE(nothing.acquired);
  CHECK(nothing.skipped_capability == 1);
  CHECK(nothing.eligible_remaining == 1);
  // Still queued, still waiting: a mismatch does not block it.
  CHECK(consistent_core(fx, needs_gpu)["public_state"] == "waiting");

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

  auto capable = acquire(fx, 7, "default", "gpu-1", "cuda,gpu,linux");
  REQUIRE(capable.acquired);
  CHECK(capable.lease.execution_id == needs_gpu);
  CHECK(capable.skipped_capability == 0);
}

TEST_CASE("acquire drops stale queue entries and rejects bad input") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  const std::string queue = lk::lane_eligible_key("{fp:7}", "default");
  const std::string ghost = execution_id::mint(7).value;
  fx.cmd({"ZADD", queue, "-99999999999999", ghost});

  auto got = acquire(fx, 7, "default", "w1");
  REQUIRE(got.acquired);
  CHECK(got.lease.execution_id == eid);
  CHECK_FALSE(score_of(fx, queue, ghost).has_value());

  auto bad = acquire_request(7, "default", "w1");
  bad.lease_ttl_ms = 0;
  CHECK(error_code(fx.backend->acquire_next_in_lane(bad)) == "invalid_input");
  bad = acquire_request(7, "default", "w1");
  bad.lease_id.clear();
  CHECK(error_code(fx.backend->acquire_next_in_lane(bad)) == "invalid_input");
}

TEST_CASE("change_priority re-scores an eligible execution and refuses others") {
  valkey_fixture fx;
  const std::string a = create(fx, 7, "default", "{}", 1);
  const std::string b = create(fx, 7, "default", "{}", 5);
  const std::string queue = lk::lane_eligible_key("{fp:7}", "default");
  const std::int64_t created_a = std::stoll(core_of(fx, a)["created_at"]);

  change_priority_args p;
  p.execution_id = a;
  p.priority = 100;
  auto changed = fx.backend->change_priority(p);
  REQUIRE_MESSAGE(changed.has_value(), (changed ? "" : changed.error().text()));
  CHECK(*changed == 100);
  CHECK(score_of(fx, queue, a) == created_a - 100 * 1'000'000'000'000LL);
  CHECK(core_of(fx, a)["priority"] == "100");

  p.priority = 20'000;
  auto clamped = fx.backend->change_priority(p);
  REQUIRE(clamped.has_value());
  CHECK(*clamped == 9000);
  CHECK(score_of(fx, queue, a) == created_a - 9000 * 1'000'000'000'000LL);

  auto first = acquire(fx, 7, "default", "w1");
  REQUIRE(first.acquired);
  CHECK(first.lease.execution_id == a);
  p.priority = 1;
  auto refused = fx.backend->change_priority(p);
  CHECK(error_code(refused) == "execution_not_eligible");
  CHECK(core_of(fx, a)["priority"] == "9000");
  (void)b;

  p.execution_id = execution_id::mint(7).value;
  CHECK(error_code(fx.backend->change_priority(p)) == "execution_not_found");
}

TEST_CASE("update_progress writes progress under a valid fence only") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);

  progress_args p;
  p.execution_id = eid;
  p.fence = fence_of(l);
  p.pct = 50;
  p.message = "half way";
  auto ok = fx.backend->update_progress(p);
  REQUIRE_MESSAGE(ok.has_value(), (ok ? "" : ok.error().text()));
  auto core = core_of(fx, eid);
  CHECK(core["progress_pct"] == "50");
  CHECK(core["progress_message"] == "half way");
  CHECK_FALSE(core["progress_updated_at"].empty());

  auto stale = p;
  stale.fence.lease_epoch += 1;
  stale.pct = 70;
  CHECK(error_code(fx.backend->update_progress(stale)) == "stale_lease");
  auto too_much = p;
  too_much.pct = 101;
  CHECK(error_code(fx.backend->update_progress(too_much)) == "invalid_input");
  auto unfenced = p;
  unfenced.fence = {};
  CHECK(error_code(fx.backend->update_progress(unfenced)) == "fence_required");
  CHECK(core_of(fx, eid)["progress_pct"] == "50");
}

namespace {

// What a worker delay / suspension leaves behind (those functions live in
// other areas): runnable and queued, the attempt interrupted, no lease.
void interrupt_attempt(valkey_fixture& fx, const claimed_lease& l, const std::string& remaining_ms) {
  const std::string& eid = l.execution_id;
  const std::string tag = tag_of(eid);
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

TEST_CASE("an interrupted attempt is resumed, by grant or by acquire") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
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
  CHECK(error_code(fx.backend->claim_execution(c)) == "use_claim_resumed_execution");
  const std::int64_t before = now_ms();
  auto resumed = fx.backend->claim_resumed_execution(c);
  REQUIRE_MESSAGE(resumed.has_value(), (resumed ? "" : resumed.error().text()));
  CHECK(resumed->attempt_type == "resumed");
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
  CHECK(again.lease.attempt_type == "resumed");
  CHECK(again.lease.attempt_index == 0);
  CHECK(again.lease.lease_epoch == 3);
  CHECK(error_code(fx.backend->complete_execution(complete_request(*resumed))) ==
        "stale_lease");
  REQUIRE(fx.backend->complete_execution(complete_request(again.lease)).has_value());
  CHECK(consistent_core(fx, eid)["public_state"] == "completed");
}
