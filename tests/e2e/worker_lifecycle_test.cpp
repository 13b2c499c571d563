// The worker protocol end to end (decisions.md §5): a real node on a real
// redis-server, driven over HTTP the way a worker and an operator would.

#include <doctest/doctest.h>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

std::string cancel_body(const std::string& id, const std::string& reason) {
  return R"({"execution_id":")" + id + R"(","reason":")" + reason + R"(","now":)" +
         std::to_string(now_ms()) + "}";
}

std::string kind_of(const http_response& res) {
  auto doc = parse_json(res.body);
  return doc.IsObject() && doc.HasMember("kind") ? doc["kind"].GetString() : "";
}

} // namespace

TEST_CASE("happy path: acquire, renew, progress, frames, complete, result and stream") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 3,
                             R"("tags":{"team":"infra"},"payload_encoding":"json",)"
                             R"("policy":{"max_replay_count":3})");
  auto t0 = now_ms();
  auto acquired = acquire(client, "worker-a", R"("lease_ttl_ms":10000,"capabilities":["cpu"])");
  REQUIRE(acquired.status == 200);
  CHECK(acquired.header("content-type") == "application/json");
  auto doc = parse_json(acquired.body);
  CHECK(json_string(doc, "execution_id") == id);
  CHECK(doc["attempt_index"].GetUint() == 0);
  CHECK(json_string(doc, "attempt_type") == "initial");
  CHECK(uuid::parse(json_string(doc, "attempt_id")));
  CHECK(uuid::parse(json_string(doc, "lease_id")));
  CHECK(doc["lease_epoch"].GetUint64() >= 1);
  CHECK(doc["lease_expires_at"].GetInt64() >= t0 + 9000);
  CHECK(json_string(doc, "lane_id") == "default");
  CHECK(json_string(doc, "execution_kind") == "echo");
  REQUIRE(doc["input_payload"].IsArray());
  REQUIRE(doc["input_payload"].Size() == 2);
  CHECK(doc["input_payload"][0].GetInt() == 123);
  CHECK(doc["input_payload"][1].GetInt() == 125);
  CHECK(json_string(doc, "payload_encoding") == "json");
  CHECK(json_string(doc["tags"], "team") == "infra");
  REQUIRE(doc["policy"].IsObject());
  CHECK(doc["policy"]["max_replay_count"].GetInt() == 3);
  auto lease = parse_lease(acquired.body);
  CHECK(state_of(client, id) == "active");

  auto renew = client.post(exec_path(id, "/lease/renew"), lease.fence(R"("lease_ttl_ms":20000)"));
  REQUIRE(renew.status == 200);
  auto renewed = parse_json(renew.body);
  // 20 s from the renew is at least 10 s past the 10 s lease taken before it.
  auto extended_to = renewed["lease_expires_at"].GetInt64();
  CHECK(extended_to >= lease.lease_expires_at + 10000);
  CHECK_FALSE(renewed["cancel_requested"].GetBool());
  CHECK(renewed["cancel_reason"].IsNull());

  auto progress = client.post(exec_path(id, "/progress"), lease.fence(R"("pct":50,"message":"half")"));
  CHECK(progress.status == 200);
  CHECK(progress.body == R"({"outcome":"ok"})");

  auto appended = client.post(
      exec_path(id, "/attempts/0/stream"),
      lease.fence(R"("frames":[{"frame_type":"stdout","data":"hello"},)"
                  R"({"frame_type":"event","data":"{}","summary_patch":{"step":1}}])"));
  REQUIRE(appended.status == 200);
  auto app = parse_json(appended.body);
  REQUIRE(app["appended"].Size() == 2);
  std::string first_id = json_string(app["appended"][0], "id");
  CHECK(first_id.find('-') != std::string::npos);
  CHECK(app["frame_count"].GetUint64() == 2);
  CHECK(app["summary_version"].GetUint64() == 1);

  auto open = parse_json(client.get(exec_path(id, "/attempts/0/stream")).body);
  CHECK(open["count"].GetUint() == 2);
  CHECK_FALSE(open.HasMember("closed_at"));

  auto complete = client.post(exec_path(id, "/complete"), lease.fence(R"("result":"aGVsbG8=")"));
  REQUIRE(complete.status == 200);
  CHECK(complete.body == R"({"outcome":"completed"})");
  CHECK(state_of(client, id) == "completed");
  auto result = client.get(exec_path(id, "/result"));
  CHECK(result.status == 200);
  CHECK(result.body == "hello");

  auto info = parse_json(client.get(exec_path(id)).body);
  CHECK(info.HasMember("started_at"));
  CHECK(info.HasMember("completed_at"));
  CHECK(info["current_attempt_index"].GetUint() == 0);

  auto stream = client.get(exec_path(id, "/attempts/0/stream"));
  REQUIRE(stream.status == 200);
  auto frames = parse_json(stream.body);
  REQUIRE(frames["frames"].Size() == 2);
  CHECK(frames["count"].GetUint() == 2);
  CHECK(json_string(frames["frames"][0], "id") == first_id);
  auto& fields = frames["frames"][0]["fields"];
  CHECK(json_string(fields, "frame_type") == "stdout");
  CHECK(json_string(fields, "payload") == "hello");
  CHECK(json_string(fields, "encoding") == "utf8");
  CHECK(json_string(fields, "mode") == "durable");
  CHECK(json_string(fields, "source") == "worker");
  CHECK(json_string(frames["frames"][1]["fields"], "summary_version") == "1");
  REQUIRE(frames.HasMember("closed_at"));
  CHECK(frames["closed_at"].GetInt64() >= t0);
  CHECK(json_string(frames, "closed_reason") == "attempt_success");

  // Nothing left to do.
  CHECK(acquire(client, "worker-a").status == 204);
}

TEST_CASE("renew extends the lease: it outlives its first expiry") {
  redis_server redis;
  auto env = node_env(redis);
  env["FF_LEASE_EXPIRY_INTERVAL_MS"] = "50";
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  auto lease = create_and_acquire(client, 2, R"("lease_ttl_ms":1000)");
  const auto id = lease.execution_id;
  auto renew = client.post(exec_path(id, "/lease/renew"), lease.fence(R"("lease_ttl_ms":30000)"));
  REQUIRE(renew.status == 200);
  auto extended_to = parse_json(renew.body)["lease_expires_at"].GetInt64();
  CHECK(extended_to >= lease.lease_expires_at + 29000);

  // Past the first expiry (and several expiry scans), the lease still holds:
  // nobody can reclaim it and the holder's calls are accepted.
  REQUIRE(eventually([&] { return now_ms() > lease.lease_expires_at + 200; }));
  CHECK(acquire(client, "other").status == 204);
  CHECK(state_of(client, id) == "active");
  CHECK(client.post(exec_path(id, "/complete"), lease.fence()).status == 200);
}

TEST_CASE("claim grant, then executions/{id}/claim") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 5);
  auto t0 = now_ms();
  const std::string grant_body =
      R"({"lane_id":"default","worker_instance_id":"w1-1","grant_ttl_ms":5000})";
  auto granted = client.post("/v1/workers/w1/claim", grant_body);
  REQUIRE(granted.status == 200);
  auto grant = parse_json(granted.body);
  CHECK(json_string(grant, "execution_id") == id);
  CHECK(json_string(grant, "partition_key") == "{fp:5}");
  CHECK(grant["grant_key"].IsString());
  CHECK(grant["expires_at_ms"].GetUint64() >= static_cast<std::uint64_t>(t0 + 4000));
  CHECK(grant.MemberCount() == 4);
  CHECK(state_of(client, id) == "waiting"); // a grant is not a lease

  // The only execution carries a grant already.
  CHECK(client.post("/v1/workers/w2/claim",
                    R"({"lane_id":"default","worker_instance_id":"w2-1","grant_ttl_ms":5000})")
            .status == 204);

  const std::string claim = R"({"worker_id":"w1","worker_instance_id":"w1-1","lane_id":"default"})";
  auto leased = client.post(exec_path(id, "/claim"), claim);
  REQUIRE(leased.status == 200);
  auto lease = parse_lease(leased.body);
  CHECK(lease.execution_id == id);
  CHECK(lease.attempt_type == "initial");
  CHECK(lease.attempt_index == 0);
  CHECK(state_of(client, id) == "active");
  // The grant is consumed.
  auto again = client.post(exec_path(id, "/claim"), claim);
  CHECK(again.status == 409);

  // No grant for this worker: refused, nothing changes.
  auto other = create_execution(client, 6);
  auto stolen = client.post(exec_path(other, "/claim"),
                            R"({"worker_id":"w9","worker_instance_id":"w9-1","lane_id":"default"})");
  CHECK(stolen.status == 409);
  CHECK(kind_of(stolen) == "contention");
  CHECK(state_of(client, other) == "waiting");

  auto done = client.post(exec_path(id, "/complete"),
                          lease.fence(R"("result":"plain text","result_encoding":"utf8")"));
  REQUIRE(done.status == 200);
  CHECK(client.get(exec_path(id, "/result")).body == "plain text");
}

TEST_CASE("retry policy: retry_scheduled, acquired again as a retry, then failed") {
  redis_server redis;
  auto env = node_env(redis);
  env["FF_DELAYED_PROMOTER_INTERVAL_MS"] = "100";
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(
      client, 2, R"("policy":{"retry_policy":{"max_retries":2,"backoff":{"type":"fixed","delay_ms":200}}})");
  auto first = acquire(client, "w");
  REQUIRE(first.status == 200);
  auto lease = parse_lease(first.body);
  CHECK(lease.attempt_type == "initial");

  for (std::uint32_t attempt = 1; attempt <= 2; ++attempt) {
    CAPTURE(attempt);
    auto before = now_ms();
    auto failed = client.post(exec_path(id, "/fail"),
                              lease.fence(R"("error":{"code":"E1","message":"boom"})"));
    REQUIRE(failed.status == 200);
    auto f = parse_json(failed.body);
    CHECK(json_string(f, "outcome") == "retry_scheduled");
    auto retry_at = f["retry_at"].GetInt64();
    CHECK(retry_at >= before + 150);
    // Not claimable during the backoff: whenever it is handed out, the
    // store's clock is past retry_at.
    auto due = acquire_when_due(client, "w");
    CHECK((due.first_status == 204 || due.first_status == 200));
    CHECK(due.granted_at >= retry_at);
    auto retried = due.lease;
    CHECK(retried.execution_id == id);
    CHECK(retried.attempt_index == attempt);
    CHECK(retried.attempt_type == "retry");
    CHECK(retried.lease_epoch > lease.lease_epoch);
    lease = retried;
  }
  auto last = client.post(exec_path(id, "/fail"), lease.fence(R"("error":{"code":"E1","message":"boom"})"));
  REQUIRE(last.status == 200);
  CHECK(last.body == R"({"outcome":"failed"})");
  CHECK(state_of(client, id) == "failed");
  CHECK(parse_json(client.get(exec_path(id)).body)["current_attempt_index"].GetUint() == 2);
}

TEST_CASE("no retry policy, or retryable false: the first failure is terminal") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 1);
  auto lease = parse_lease(acquire(client, "w").body);
  auto failed = client.post(exec_path(id, "/fail"), lease.fence(R"("error":{"code":"E","message":"m"})"));
  REQUIRE(failed.status == 200);
  CHECK(failed.body == R"({"outcome":"failed"})");
  CHECK(state_of(client, id) == "failed");
  // The same call again (a retried request) answers the same.
  auto replayed = client.post(exec_path(id, "/fail"), lease.fence(R"("error":{"code":"E","message":"m"})"));
  CHECK(replayed.status == 200);
  CHECK(replayed.body == R"({"outcome":"failed"})");

  auto with_policy = create_execution(
      client, 1, R"("policy":{"retry_policy":{"max_retries":5,"backoff":{"type":"fixed","delay_ms":100}}})");
  auto lease2 = parse_lease(acquire(client, "w").body);
  REQUIRE(lease2.execution_id == with_policy);
  auto terminal = client.post(exec_path(with_policy, "/fail"),
                              lease2.fence(R"("error":{"code":"bad_input","message":"m"},"retryable":false)"));
  REQUIRE(terminal.status == 200);
  CHECK(terminal.body == R"({"outcome":"failed"})");
  CHECK(state_of(client, with_policy) == "failed");
  auto stream = parse_json(client.get(exec_path(with_policy, "/attempts/0/stream")).body);
  CHECK(stream["count"].GetUint() == 0);
}

TEST_CASE("a crashed worker: the lease expires, another worker reclaims, the late complete is refused") {
  redis_server redis;
  auto env = node_env(redis);
  env["FF_LEASE_EXPIRY_INTERVAL_MS"] = "100";
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 4);
  auto crashed = parse_lease(acquire(client, "w1", R"("lease_ttl_ms":1000)").body);
  REQUIRE(crashed.execution_id == id);
  REQUIRE(client.post(exec_path(id, "/attempts/0/stream"),
                      crashed.fence(R"("frames":[{"frame_type":"stdout","data":"partial"}])"))
              .status == 200);

  // No renew: after ~1 s the scanner expires the lease and requeues it.
  auto start = std::chrono::steady_clock::now();
  auto taken = acquire(client, "w2", R"("wait_ms":8000)");
  REQUIRE(taken.status == 200);
  CHECK(elapsed_ms(start) < 7000);
  auto reclaim = parse_lease(taken.body);
  CHECK(reclaim.execution_id == id);
  CHECK(reclaim.attempt_index == 1);
  CHECK(reclaim.attempt_type == "reclaim");
  CHECK(reclaim.lease_epoch > crashed.lease_epoch);
  CHECK(reclaim.lease_id != crashed.lease_id);

  auto late = client.post(exec_path(id, "/complete"), crashed.fence(R"("result":"bGF0ZQ==")"));
  CHECK(late.status == 409);
  auto late_frame = client.post(exec_path(id, "/attempts/0/stream"),
                                crashed.fence(R"("frames":[{"frame_type":"stdout","data":"late"}])"));
  CHECK(late_frame.status == 409);
  CHECK(state_of(client, id) == "active");
  CHECK(client.get(exec_path(id, "/result")).status == 404);
  auto old_stream = parse_json(client.get(exec_path(id, "/attempts/0/stream")).body);
  CHECK(old_stream["count"].GetUint() == 1);
  REQUIRE(old_stream.HasMember("closed_at"));
  CHECK(json_string(old_stream, "closed_reason") == "reclaimed");

  REQUIRE(client.post(exec_path(id, "/lease/renew"), reclaim.fence()).status == 200);
  auto done = client.post(exec_path(id, "/complete"), reclaim.fence(R"("result":"b2s=")"));
  REQUIRE(done.status == 200);
  CHECK(client.get(exec_path(id, "/result")).body == "ok");
  CHECK(parse_json(client.get(exec_path(id)).body)["current_attempt_index"].GetUint() == 1);
}

TEST_CASE("cancel while running: renew reports it, complete is refused") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 0);
  auto lease = parse_lease(acquire(client, "w").body);
  auto cancel = client.post(exec_path(id, "/cancel"), cancel_body(id, "user asked"));
  REQUIRE(cancel.status == 200);
  CHECK(cancel.body ==
        R"({"Cancelled":{"execution_id":")" + id + R"(","public_state":"cancelled"}})");
  CHECK(state_of(client, id) == "cancelled");

  auto renew = client.post(exec_path(id, "/lease/renew"), lease.fence());
  REQUIRE(renew.status == 200);
  auto r = parse_json(renew.body);
  CHECK(r["cancel_requested"].GetBool());
  REQUIRE(r["cancel_reason"].IsString());
  CHECK(std::string(r["cancel_reason"].GetString()).find("user asked") != std::string::npos);

  auto complete = client.post(exec_path(id, "/complete"), lease.fence(R"("result":"eA==")"));
  CHECK(complete.status == 409);
  CHECK(state_of(client, id) == "cancelled");
  CHECK(client.get(exec_path(id, "/result")).status == 404);
  auto stream = client.post(exec_path(id, "/attempts/0/stream"),
                            lease.fence(R"("frames":[{"frame_type":"stdout","data":"x"}])"));
  CHECK(stream.status == 409);

  // Already terminal.
  auto twice = client.post(exec_path(id, "/cancel"), cancel_body(id, "again"));
  CHECK(twice.status == 409);
  // A waiting execution is cancelled too (operator override).
  auto waiting = create_execution(client, 0);
  CHECK(client.post(exec_path(waiting, "/cancel"), cancel_body(waiting, "not needed")).status == 200);
  CHECK(state_of(client, waiting) == "cancelled");
  CHECK(acquire(client, "w").status == 204);
}

TEST_CASE("idempotent complete: the same fence twice answers the same") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 7);
  auto lease = parse_lease(acquire(client, "w").body);
  auto body = lease.fence(R"("result":{"answer":42})");
  auto first = client.post(exec_path(id, "/complete"), body);
  REQUIRE(first.status == 200);
  auto second = client.post(exec_path(id, "/complete"), body);
  CHECK(second.status == 200);
  CHECK(second.body == first.body);
  CHECK(client.get(exec_path(id, "/result")).body == R"({"answer":42})");

  // Another epoch is not the same caller.
  auto other = lease;
  other.lease_epoch += 1;
  CHECK(client.post(exec_path(id, "/complete"), other.fence(R"("result":"eA==")")).status == 409);
  CHECK(client.get(exec_path(id, "/result")).body == R"({"answer":42})");
  CHECK(state_of(client, id) == "completed");
}

TEST_CASE("replay of a terminal execution starts a replay attempt") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 2);
  auto not_terminal = client.request("POST", exec_path(id, "/replay"));
  CHECK(not_terminal.status == 409);
  CHECK(kind_of(not_terminal) == "execution_not_terminal");

  auto lease = parse_lease(acquire(client, "w").body);
  REQUIRE(client.post(exec_path(id, "/fail"), lease.fence(R"("error":{"code":"E","message":"m"})")).status ==
          200);
  REQUIRE(state_of(client, id) == "failed");

  auto replay = client.request("POST", exec_path(id, "/replay"));
  REQUIRE(replay.status == 200);
  CHECK(replay.body == R"({"Replayed":{"public_state":"waiting"}})");
  CHECK(state_of(client, id) == "waiting");

  auto again = acquire(client, "w", R"("wait_ms":2000)");
  REQUIRE(again.status == 200);
  auto replayed = parse_lease(again.body);
  CHECK(replayed.execution_id == id);
  CHECK(replayed.attempt_type == "replay");
  CHECK(replayed.attempt_index == 1);
  CHECK(replayed.lease_epoch > lease.lease_epoch);
  REQUIRE(client.post(exec_path(id, "/complete"), replayed.fence()).status == 200);
  CHECK(state_of(client, id) == "completed");

  auto missing = client.request("POST", exec_path(execution_id::mint(2).value, "/replay"));
  CHECK(missing.status == 404);
}

TEST_CASE("revoke: the holder loses the lease, the next worker reclaims") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 3);
  auto nothing = client.request("POST", exec_path(id, "/revoke-lease"));
  CHECK(nothing.status == 200);
  CHECK(nothing.body == R"({"AlreadySatisfied":{"reason":"no_active_lease"}})");

  auto lease = parse_lease(acquire(client, "w1").body);
  auto revoked = client.request("POST", exec_path(id, "/revoke-lease"));
  REQUIRE(revoked.status == 200);
  CHECK(revoked.body == R"({"Revoked":{"lease_id":")" + lease.lease_id + R"(","lease_epoch":")" +
                            std::to_string(lease.lease_epoch) + R"("}})");
  auto twice = client.request("POST", exec_path(id, "/revoke-lease"));
  CHECK(twice.status == 200);
  CHECK(twice.body == R"({"AlreadySatisfied":{"reason":"already_revoked"}})");

  auto renew = client.post(exec_path(id, "/lease/renew"), lease.fence());
  CHECK(renew.status == 409);
  CHECK(client.post(exec_path(id, "/complete"), lease.fence()).status == 409);

  auto next = acquire(client, "w2", R"("wait_ms":3000)");
  REQUIRE(next.status == 200);
  auto reclaim = parse_lease(next.body);
  CHECK(reclaim.execution_id == id);
  CHECK(reclaim.attempt_type == "reclaim");
  CHECK(reclaim.attempt_index == 1);
  CHECK(client.post(exec_path(id, "/complete"), reclaim.fence()).status == 200);

  CHECK(client.request("POST", exec_path(execution_id::mint(3).value, "/revoke-lease")).status == 404);
}

TEST_CASE("reclaim grant on an expired lease, and the priority route") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 1);
  const std::string reclaim_body =
      R"({"worker_id":"w2","worker_instance_id":"w2-1","lane_id":"default","grant_ttl_ms":5000})";
  auto waiting = client.post(exec_path(id, "/reclaim"), reclaim_body);
  REQUIRE(waiting.status == 200);
  CHECK(waiting.body == R"({"status":"not_reclaimable","execution_id":")" + id +
                            R"(","detail":"execution_not_reclaimable"})");

  auto priority = client.request("PUT", exec_path(id, "/priority"), R"({"new_priority":42})");
  REQUIRE(priority.status == 200);
  CHECK(priority.body == R"({"Changed":{"execution_id":")" + id + R"("}})");
  CHECK(parse_json(client.get(exec_path(id)).body)["priority"].GetInt() == 42);

  auto lease = parse_lease(acquire(client, "w1").body);
  auto active_priority = client.request("PUT", exec_path(id, "/priority"), R"({"new_priority":1})");
  CHECK(active_priority.status == 409);
  CHECK(kind_of(active_priority) == "contention");
  auto leased = client.post(exec_path(id, "/reclaim"), reclaim_body);
  REQUIRE(leased.status == 200);
  CHECK(json_string(parse_json(leased.body), "status") == "not_reclaimable");

  REQUIRE(client.request("POST", exec_path(id, "/revoke-lease")).status == 200);
  auto granted = client.post(exec_path(id, "/reclaim"), reclaim_body);
  // The revoked execution may already be requeued for an ordinary claim;
  // a reclaim grant is the reference's explicit path to the same attempt.
  REQUIRE(granted.status == 200);
  auto g = parse_json(granted.body);
  CHECK(json_string(g, "status") == "granted");
  CHECK(json_string(g, "execution_id") == id);
  CHECK(json_string(g, "partition_key") == "{fp:1}");
  CHECK(json_string(g, "lane_id") == "default");
  CHECK(g["expires_at_ms"].GetUint64() > 0);

  CHECK(client.request("PUT", exec_path(execution_id::mint(1).value, "/priority"), R"({"new_priority":1})")
            .status == 404);
  (void)lease;
}
