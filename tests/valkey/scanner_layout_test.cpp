// Scanner batches on the Valkey layout: the indexes they walk and clean,
// the keys trim_retention deletes, and reconcile_indexes repairing damage
// written by hand.

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/valkey/store_support.hpp"

using namespace ff;
using namespace ff::test;

namespace {

// Every key whose name contains `needle` (SCAN over the whole keyspace).
std::vector<std::string> keys_containing(valkey_fixture& fx, const std::string& needle) {
  std::vector<std::string> out;
  std::string cursor = "0";
  do {
    auto r = fx.cmd({"SCAN", cursor, "MATCH", "*", "COUNT", "1000"});
    cursor = r.elements[0].str;
    for (const auto& k : r.elements[1].elements)
      if (k.str.find(needle) != std::string::npos)
        out.push_back(k.str);
  } while (cursor != "0");
  return out;
}

} // namespace

TEST_CASE("an attempt timeout: its index entry, the failed attempt, a stale entry only cleaned") {
  valkey_fixture fx;
  const auto eid =
      create(fx, 7, "default",
             R"({"timeout_policy":{"attempt_timeout_ms":1000},"retry_policy":{"max_retries":3}})");
  const std::string tag = tag_of(eid);
  acquire_lease(fx, eid);
  auto due = score_of(fx, lk::attempt_timeout_key(tag), eid);
  REQUIRE(due.has_value());
  const std::int64_t started = std::stoll(core_of(fx, eid)["lease_acquired_at"]);
  CHECK(*due == started + 1000);

  REQUIRE(fx.backend->expire_attempt_timeouts(scan(7, *due - 1))->changed == 0);
  CHECK(core_of(fx, eid)["public_state"] == "active");
  REQUIRE(fx.backend->expire_attempt_timeouts(scan(7, *due))->changed == 1);
  auto core = consistent_core(fx, eid);
  CHECK(core["terminal_outcome"] == "expired");
  CHECK(core["public_state"] == "expired");
  CHECK(core["failure_reason"] == "attempt_timeout");
  CHECK(core["retry_count"] == "0"); // a timeout does not retry
  auto attempt = hash_of(fx, lk::attempt_key(eid, 0));
  CHECK(attempt["attempt_state"] == "ended_failure");
  CHECK(attempt["failure_reason"] == "attempt_timeout");
  CHECK_FALSE(score_of(fx, lk::attempt_timeout_key(tag), eid).has_value());
  CHECK_FALSE(score_of(fx, lk::lease_expiry_key(tag), eid).has_value());

  // An entry left behind by a finished execution is only cleaned.
  fx.cmd({"ZADD", lk::attempt_timeout_key(tag), "1", eid.value});
  auto cleaned = fx.backend->expire_attempt_timeouts(scan(7, now_ms()));
  REQUIRE(cleaned.has_value());
  CHECK(cleaned->changed == 0);
  CHECK(cleaned->cleaned == 1);
  CHECK(core_of(fx, eid)["completed_at"] == core["completed_at"]);
  CHECK_FALSE(score_of(fx, lk::attempt_timeout_key(tag), eid).has_value());
}

TEST_CASE("an execution deadline moves the execution from its queue to the terminal index") {
  valkey_fixture fx;
  auto a = sample_create_args(7);
  a.execution_deadline_at = now_ms() + 1000;
  REQUIRE(fx.backend->create_execution(a).has_value());
  const auto& eid = a.execution_id;
  REQUIRE(fx.backend->expire_execution_deadlines(scan(7, a.execution_deadline_at))->changed == 1);
  auto core = consistent_core(fx, eid);
  CHECK(core["terminal_outcome"] == "expired");
  CHECK(core["failure_reason"] == "execution_deadline");
  CHECK_FALSE(score_of(fx, lk::lane_eligible_key("{fp:7}", "default"), eid).has_value());
  CHECK(score_of(fx, lk::lane_terminal_key("{fp:7}", "default"), eid).has_value());
  CHECK_FALSE(score_of(fx, lk::execution_deadline_key("{fp:7}"), eid).has_value());
}

TEST_CASE("trim_retention deletes every key and index entry of a trimmed execution") {
  valkey_fixture fx;
  const std::string tag = "{fp:7}";
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

  const std::int64_t done_old = std::stoll(core_of(fx, old_one)["completed_at"]);
  const std::int64_t done_short = std::stoll(core_of(fx, short_one)["completed_at"]);
  REQUIRE_FALSE(keys_containing(fx, old_one.value).empty());
  CHECK(score_of(fx, lk::retention_key(tag), short_one) == done_short + 1000);

  REQUIRE(fx.backend->trim_retention(scan(7, done_short + 1000))->changed == 1);
  CHECK(keys_containing(fx, short_one.value).empty());
  CHECK_FALSE(keys_containing(fx, old_one.value).empty());

  REQUIRE(fx.backend->trim_retention(scan(7, done_old + 86'400'000))->changed == 1);
  CHECK(keys_containing(fx, old_one.value).empty());
  // Index entries go too; the running execution is untouched.
  for (const auto& key : {lk::all_executions_key(tag), lk::lane_terminal_key(tag, "default"),
                          lk::retention_key(tag)}) {
    CHECK_FALSE(score_of(fx, key, old_one).has_value());
    CHECK_FALSE(score_of(fx, key, short_one).has_value());
  }
  CHECK(score_of(fx, lk::all_executions_key(tag), running).has_value());
  CHECK(consistent_core(fx, running)["public_state"] == "active");
}

TEST_CASE("reconcile_indexes repairs queue membership and public_state") {
  valkey_fixture fx;
  const std::string tag = "{fp:7}";
  const std::string queue = lk::lane_eligible_key(tag, "default");
  std::vector<std::string> ids = {create(fx, 7).value, create(fx, 7).value, create(fx, 7).value};
  auto got = acquire(fx, 7, "default", "w1");
  REQUIRE(got.acquired);
  const std::string completed = got.lease.execution_id;
  REQUIRE(fx.backend->complete_execution(complete_request(got.lease)).has_value());
  ids.erase(std::find(ids.begin(), ids.end(), completed));
  const std::string dropped = ids[0];
  const std::string mislabeled = ids[1];
  // The damage: a waiting execution missing from its queue, a completed one
  // queued, a wrong public_state and an entry without an execution.
  fx.cmd({"ZREM", queue, dropped});
  fx.cmd({"ZADD", queue, "1", completed});
  fx.cmd({"HSET", lk::exec_core_key(mislabeled), "public_state", "rate_limited"});
  const std::string ghost = execution_id::mint(7).value;
  fx.cmd({"ZADD", queue, "2", ghost});

  scan_args s = scan(7, now_ms());
  s.lanes = {"default", "gpu"};
  auto r = fx.backend->reconcile_indexes(s);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  CHECK(r->examined == 3);
  CHECK(r->changed == 3);
  CHECK(r->cleaned == 1);
  CHECK(r->next_cursor.empty());
  REQUIRE(r->became_eligible.size() == 1);
  CHECK(r->became_eligible[0].execution_id == dropped);
  REQUIRE(r->eligible_by_lane.size() == 2);
  CHECK(r->eligible_by_lane[0].lane_id == "default");
  CHECK(r->eligible_by_lane[0].count == 2);
  CHECK(r->eligible_by_lane[1].lane_id == "gpu");
  CHECK(r->eligible_by_lane[1].count == 0);
  CHECK(score_of(fx, queue, dropped).has_value());
  CHECK_FALSE(score_of(fx, queue, completed).has_value());
  CHECK_FALSE(score_of(fx, queue, ghost).has_value());
  CHECK(consistent_core(fx, typed_id(mislabeled))["public_state"] == "waiting");

  auto clean = fx.backend->reconcile_indexes(s);
  REQUIRE(clean.has_value());
  CHECK(clean->changed == 0);
  CHECK(clean->cleaned == 0);
}

TEST_CASE("worker registry keys: alive and caps with the TTL, the index; heartbeat_worker") {
  valkey_fixture fx;
  register_worker_args r;
  r.worker_id = "gpu-pool";
  r.worker_instance_id = "gpu-pool-1";
  r.lanes = {"default", "gpu"};
  r.capabilities = "cuda,gpu";
  r.ttl_ms = 60'000;
  r.now_ms = now_ms();
  REQUIRE(fx.backend->register_worker(r)->status == "registered");

  const std::string alive = lk::worker_alive_key("default", "gpu-pool-1");
  const std::string caps = lk::worker_caps_key("default", "gpu-pool-1");
  CHECK(fx.cmd({"PTTL", alive}).integer > 59'000);
  CHECK(fx.cmd({"PTTL", caps}).integer > 59'000);
  auto hash = hash_of(fx, caps);
  CHECK(hash["worker_id"] == "gpu-pool");
  CHECK(hash["lanes_csv"] == "default,gpu");
  CHECK(hash["caps_csv"] == "cuda,gpu");
  CHECK(hash["ttl_ms"] == "60000");
  CHECK(hash["registered_at_ms"] == std::to_string(r.now_ms));
  CHECK(in_set(fx, lk::workers_index_key("default"), "gpu-pool-1"));

  // A refused registration leaves the stored worker alone.
  auto thief = r;
  thief.worker_id = "other-pool";
  REQUIRE(error_code(fx.backend->register_worker(thief)) == "conflict");
  CHECK(hash_of(fx, caps)["worker_id"] == "gpu-pool");

  // heartbeat_worker (ff_heartbeat_worker) restores the TTL.
  fx.cmd({"PEXPIRE", alive, "1000"});
  fx.cmd({"PEXPIRE", caps, "1000"});
  heartbeat_worker_args h;
  h.worker_instance_id = "gpu-pool-1";
  h.now_ms = r.now_ms + 5000;
  auto beat = fx.backend->heartbeat_worker(h);
  REQUIRE_MESSAGE(beat.has_value(), (beat ? "" : beat.error().text()));
  CHECK(beat->status == "refreshed");
  CHECK(beat->next_expiry_ms == h.now_ms + 60'000);
  CHECK(fx.cmd({"PTTL", alive}).integer > 59'000);
  CHECK(fx.cmd({"PTTL", caps}).integer > 59'000);
  CHECK(hash_of(fx, caps)["last_heartbeat_ms"] == std::to_string(h.now_ms));

  heartbeat_worker_args unknown;
  unknown.worker_instance_id = "never-seen";
  unknown.now_ms = h.now_ms;
  auto missing = fx.backend->heartbeat_worker(unknown);
  REQUIRE(missing.has_value());
  CHECK(missing->status == "not_registered");
  CHECK(fx.cmd({"EXISTS", lk::worker_alive_key("default", "never-seen")}).integer == 0);

  // register_worker, the node's heartbeat, restores the TTL too.
  fx.cmd({"PEXPIRE", alive, "1000"});
  fx.cmd({"PEXPIRE", caps, "1000"});
  REQUIRE(fx.backend->register_worker(r)->status == "refreshed");
  CHECK(fx.cmd({"PTTL", alive}).integer > 59'000);
  CHECK(fx.cmd({"PTTL", caps}).integer > 59'000);
}
