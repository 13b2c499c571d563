// The worker, operator and stream routes over a real loopback socket with a
// fake engine: what reaches the gateway, what comes back, and that bad
// input reaches nothing.

#include <doctest/doctest.h>

#include <set>

#include "core/ids.hpp"
#include "http/metrics.hpp"
#include "http/response_encoding.hpp"
#include "http/routes.hpp"
#include "http/server.hpp"
#include "tests/http/fake_gateway.hpp"
#include "tests/http/running_server.hpp"
#include "tests/support/http_client.hpp"

using namespace ff;
using test::eid1;
using test::eid1_path;
using test::running_server;

namespace {

using test::lease_uuid;

std::string exec(const std::string& suffix) { return "/v1/executions/" + eid1_path + suffix; }

std::string fenced(const std::string& extra = {}, std::uint32_t attempt_index = 0) {
  std::string body = std::string(R"({"lease_id":")") + lease_uuid +
                     R"(","lease_epoch":4,"attempt_index":)" + std::to_string(attempt_index);
  if (!extra.empty()) body += "," + extra;
  return body + "}";
}

claimed_lease sample_lease() {
  claimed_lease l;
  l.execution_id = eid1;
  l.attempt_index = 0;
  l.attempt_id = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
  l.attempt_type = attempt_kind::initial;
  l.lease_id = lease_uuid;
  l.lease_epoch = 1;
  l.lease_expires_at = 1700000030000;
  l.lane_id = "default";
  l.execution_kind = "echo";
  l.input_payload = "{}";
  l.policy_json = "{}";
  return l;
}

} // namespace

TEST_CASE("every worker, operator and stream route has a handler") {
  const std::set<std::string> implemented = {
      "/v1/executions/{id}/cancel", "/v1/executions/{id}/priority", "/v1/executions/{id}/replay",
      "/v1/executions/{id}/revoke-lease", "/v1/executions/{id}/reclaim",
      "/v1/workers/{worker_id}/claim", "/v1/executions/{id}/attempts/{idx}/stream",
      "/v1/executions/{id}/attempts/{idx}/stream/tail", "/v1/workers/{worker_id}/acquire",
      "/v1/workers/{worker_id}/heartbeat", "/v1/executions/{id}/claim",
      "/v1/executions/{id}/lease/renew", "/v1/executions/{id}/complete",
      "/v1/executions/{id}/fail", "/v1/executions/{id}/progress"};
  std::size_t found = 0;
  for (const auto& r : route_table()) {
    if (!implemented.count(r.path)) continue;
    CAPTURE(r.method);
    CAPTURE(r.path);
    CHECK(static_cast<bool>(r.handler));
    ++found;
  }
  CHECK(found == implemented.size() + 1); // the stream path has GET and POST
}

TEST_CASE("acquire: 204 without work, the lease object with it") {
  running_server s;
  auto c = s.client();
  const std::string body = R"({"lane_id":"default","worker_instance_id":"pod-1","capabilities":["gpu","cpu"],"wait_ms":10})";

  auto none = c.post("/v1/workers/worker-1/acquire", body);
  CHECK(none.status == 204);
  CHECK(none.body.empty());
  auto calls = s.gateway.calls();
  REQUIRE(calls.acquire.size() == 1);
  CHECK(calls.acquire[0].worker_id == "worker-1");
  CHECK(calls.acquire[0].worker_instance_id == "pod-1");
  CHECK(calls.acquire[0].lane_id == "default");
  CHECK(calls.acquire[0].worker_capabilities == "cpu,gpu");
  CHECK(calls.acquire[0].lease_ttl_ms == 30000);
  CHECK(calls.acquire[0].wait_ms == 10);

  s.gateway.configure([](auto& a) {
    a.acquire.acquired = true;
    a.acquire.lease = sample_lease();
  });
  auto got = c.post("/v1/workers/worker%2D1/acquire", body);
  CHECK(got.status == 200);
  CHECK(got.header("content-type") == "application/json");
  CHECK(got.body == encode_claimed_lease(sample_lease()));
  CHECK(got.body.find(R"("input_payload":[123,125])") != std::string::npos);

  auto bad_worker = c.post("/v1/workers/a%20b/acquire", body);
  CHECK(bad_worker.status == 400);
  CHECK(bad_worker.body ==
        R"({"error":"worker_id: must not contain whitespace or control characters","kind":"invalid_input"})");
  CHECK(c.post("/v1/workers/w/acquire", body, {{"Content-Type", "text/plain"}}).status == 415);
  CHECK(c.post("/v1/workers/w/acquire", "{").status == 400);
  CHECK(s.gateway.calls().acquire.size() == 2);

  s.gateway.fail_next(engine_error::resource_exhausted("lane_waiters", 64));
  auto busy = c.post("/v1/workers/w/acquire", body);
  CHECK(busy.status == 429);
  CHECK(busy.header("retry-after") == "1");
}

TEST_CASE("claim grant and its consumption") {
  running_server s;
  auto c = s.client();
  const std::string body = R"({"lane_id":"default","worker_instance_id":"pod-1","grant_ttl_ms":5000})";
  CHECK(c.post("/v1/workers/w1/claim", body).status == 204);

  s.gateway.configure([](auto& a) {
    a.grant.granted = true;
    a.grant.grant = {eid1, "{fp:1}", "ff:exec:{fp:1}:x:claim_grant", 1700000005000, "default"};
  });
  auto granted = c.post("/v1/workers/w1/claim", body);
  CHECK(granted.status == 200);
  CHECK(granted.body == std::string(R"({"execution_id":")") + eid1 +
                            R"(","partition_key":"{fp:1}","grant_key":"ff:exec:{fp:1}:x:claim_grant",)"
                            R"("expires_at_ms":1700000005000})");
  auto calls = s.gateway.calls();
  REQUIRE(calls.grant.size() == 2);
  CHECK(calls.grant[1].grant_ttl_ms == 5000);
  CHECK(calls.grant[1].worker_id == "w1");

  auto missing_ttl = c.post("/v1/workers/w1/claim", R"({"lane_id":"default","worker_instance_id":"pod-1"})");
  CHECK(missing_ttl.status == 422);

  s.gateway.configure([](auto& a) { a.lease = sample_lease(); });
  const std::string claim = R"({"worker_id":"w1","worker_instance_id":"pod-1","lane_id":"default","lease_ttl_ms":2000})";
  auto leased = c.post(exec("/claim"), claim);
  CHECK(leased.status == 200);
  CHECK(leased.body == encode_claimed_lease(sample_lease()));
  c.post(exec("/claim"), claim);
  calls = s.gateway.calls();
  REQUIRE(calls.claim.size() == 2);
  CHECK(calls.claim[0].first == 1);
  const auto& args = calls.claim[0].second;
  CHECK(args.execution_id.value == eid1);
  CHECK(args.lease_ttl_ms == 2000);
  // Fresh v4 UUIDs per call, in canonical form.
  CHECK(uuid::parse(args.lease_id));
  CHECK(uuid::parse(args.attempt_id));
  CHECK(uuid::parse(args.lease_id)->str() == args.lease_id);
  CHECK(args.lease_id[14] == '4');
  CHECK(args.lease_id != args.attempt_id);
  CHECK(calls.claim[1].second.lease_id != args.lease_id);

  s.gateway.fail_next(classify_store_error("invalid_claim_grant", ""));
  auto refused = c.post(exec("/claim"), claim);
  CHECK(refused.status == 409);
  CHECK(refused.body == R"({"error":"invalid_claim_grant","kind":"contention","retryable":true})");
}

TEST_CASE("lease-holder routes: answers, and bad fences reach nothing") {
  running_server s;
  auto c = s.client();

  s.gateway.configure([](auto& a) { a.renew = {1700000031000, false, ""}; });
  auto renew = c.post(exec("/lease/renew"), fenced(R"("lease_ttl_ms":5000)"));
  CHECK(renew.status == 200);
  CHECK(renew.body == R"({"lease_expires_at":1700000031000,"cancel_requested":false,"cancel_reason":null})");
  s.gateway.configure([](auto& a) { a.renew = {0, true, "operator"}; });
  auto cancelled = c.post(exec("/lease/renew"), fenced());
  CHECK(cancelled.body == R"({"lease_expires_at":null,"cancel_requested":true,"cancel_reason":"operator"})");

  auto complete = c.post(exec("/complete"), fenced(R"("result":{"answer":42})"));
  CHECK(complete.status == 200);
  CHECK(complete.body == R"({"outcome":"completed"})");
  auto again = c.post(exec("/complete"), fenced(R"("result":{"answer":42})"));
  CHECK(again.body == complete.body);

  s.gateway.configure([](auto& a) {
    a.fail = {fail_disposition::retry_scheduled, 1700000000200, false};
  });
  auto retry = c.post(exec("/fail"), fenced(R"("error":{"code":"E","message":"m"})"));
  CHECK(retry.status == 200);
  CHECK(retry.body == R"({"outcome":"retry_scheduled","retry_at":1700000000200})");

  auto progress = c.post(exec("/progress"), fenced(R"("pct":40,"message":"halfway-ish")"));
  CHECK(progress.status == 200);
  CHECK(progress.body == R"({"outcome":"ok"})");

  auto calls = s.gateway.calls();
  REQUIRE(calls.renew.size() == 2);
  CHECK(calls.renew[0].first == 1);
  CHECK(calls.renew[0].second.lease_ttl_ms == 5000);
  CHECK(calls.renew[0].second.fence.lease_epoch == 4);
  REQUIRE(calls.complete.size() == 2);
  CHECK(calls.complete[0].second.result == R"({"answer":42})");
  REQUIRE(calls.fail.size() == 1);
  CHECK(calls.fail[0].second.failure_category == "E");
  REQUIRE(calls.progress.size() == 1);
  CHECK(calls.progress[0].second.pct == 40);

  const auto before = s.gateway.call_count();
  for (std::string route : {"/lease/renew", "/complete", "/fail", "/progress"}) {
    CAPTURE(route);
    auto missing = c.post(exec(route), R"({"lease_epoch":1,"attempt_index":0})");
    CHECK(missing.status == 422);
    CHECK(missing.body.find(R"("detail":"lease_id: missing required field")") != std::string::npos);
    auto typed = c.post(exec(route), std::string(R"({"lease_id":")") + lease_uuid +
                                         R"(","lease_epoch":"1","attempt_index":0})");
    CHECK(typed.status == 422);
    CHECK(typed.body.find(R"x("detail":"lease_epoch: expected a non-negative integer (u64)")x") !=
          std::string::npos);
    auto bad_id = c.post("/v1/executions/nope" + route, fenced(R"("pct":1,"error":{"code":"c","message":"m"})"));
    CHECK(bad_id.status == 400);
    CHECK(bad_id.body == R"({"error":"invalid execution_id: must start with {fp:","kind":"invalid_input"})");
  }
  CHECK(c.post(exec("/complete"), fenced(R"("result":"%%%")")).status == 400);
  CHECK(s.gateway.call_count() == before);

  s.gateway.fail_next(classify_store_error("stale_lease", ""));
  auto stale = c.post(exec("/complete"), fenced());
  CHECK(stale.status == 409);
  CHECK(stale.body == R"({"error":"stale_lease","kind":"state_conflict","retryable":false})");
  s.gateway.fail_next(classify_store_error("execution_not_found", ""));
  auto unknown = c.post(exec("/lease/renew"), fenced());
  CHECK(unknown.status == 404);
}

TEST_CASE("stream append: frames in order, the first error ends the batch") {
  running_server s;
  auto c = s.client();
  const std::string frames =
      R"("frames":[{"frame_type":"stdout","data":"a"},{"frame_type":"stdout","data":"b",)"
      R"("summary_patch":{"n":1}},{"frame_type":"event","data":"c","mode":"best_effort"}])";
  auto ok = c.post(exec("/attempts/2/stream"), fenced(frames, 2));
  CHECK(ok.status == 200);
  CHECK(ok.body == R"({"appended":[{"id":"1700000000000-0"},{"id":"1700000000000-1"},)"
                   R"({"id":"1700000000000-2"}],"frame_count":3,"summary_version":1})");
  auto calls = s.gateway.calls();
  REQUIRE(calls.append.size() == 3);
  CHECK(calls.append[0].second.payload == "a");
  CHECK(calls.append[1].second.payload == "b");
  CHECK(calls.append[1].second.summary_patch == R"({"n":1})");
  CHECK(calls.append[2].second.mode == "best_effort");
  for (const auto& [partition, a] : calls.append) {
    CHECK(partition == 1);
    CHECK(a.fence.attempt_index == 2);
    CHECK(a.execution_id.value == eid1);
  }

  const auto calls_before_cut = s.gateway.call_count();
  s.gateway.fail_after(1, classify_store_error("stale_owner_cannot_append", ""));
  auto cut = c.post(exec("/attempts/2/stream"), fenced(frames, 2));
  CHECK(cut.status == 409);
  CHECK(cut.body ==
        R"({"error":"stale_owner_cannot_append","kind":"state_conflict","retryable":false})");
  // One appended, one refused, none after.
  CHECK(s.gateway.call_count() - calls_before_cut == 2);
  CHECK(s.gateway.calls().append.size() == 4);

  const auto before = s.gateway.call_count();
  auto mismatch = c.post(exec("/attempts/3/stream"), fenced(frames, 2));
  CHECK(mismatch.status == 400);
  CHECK(mismatch.body ==
        R"({"error":"path idx does not match body attempt_index","kind":"invalid_input"})");
  auto bad_idx = c.post(exec("/attempts/x/stream"), "not even json");
  CHECK(bad_idx.status == 400);
  CHECK(bad_idx.body == R"({"error":"Invalid URL: Cannot parse `x` to a `u32`","kind":"invalid_input"})");
  CHECK(c.post(exec("/attempts/2/stream"), fenced(R"("frames":[])", 2)).status == 400);
  CHECK(c.post(exec("/attempts/2/stream"), fenced("", 2)).status == 422);
  CHECK(s.gateway.call_count() == before);
}

TEST_CASE("heartbeat") {
  running_server s;
  auto c = s.client();
  s.gateway.configure([](auto& a) { a.liveness = {"registered", 1700000060000}; });
  auto r = c.post("/v1/workers/w1/heartbeat",
                  R"({"worker_instance_id":"pod-1","lanes":["default"],"capabilities":["gpu"]})");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"status":"registered","next_expiry_ms":1700000060000})");
  auto calls = s.gateway.calls();
  REQUIRE(calls.heartbeat.size() == 1);
  CHECK(calls.heartbeat[0].worker_id == "w1");
  CHECK(calls.heartbeat[0].capabilities == "gpu");
  CHECK(calls.heartbeat[0].now_ms > 1700000000000);
  CHECK(c.post("/v1/workers/w1/heartbeat", R"({"worker_instance_id":"pod-1","ttl_ms":10})").status == 400);
}

TEST_CASE("operator routes") {
  running_server s;
  auto c = s.client();

  auto cancel = c.post(exec("/cancel"), std::string(R"({"execution_id":")") + eid1 +
                                            R"(","reason":"stop","now":1})");
  CHECK(cancel.status == 200);
  CHECK(cancel.body ==
        std::string(R"({"Cancelled":{"execution_id":")") + eid1 + R"(","public_state":"cancelled"}})");
  auto mismatch = c.post(exec("/cancel"), R"({"execution_id":"{fp:1}:0b6e1d7c-5a4f-4e3d-8c2b-1a0f9e8d7c6b","reason":"stop","now":1})");
  CHECK(mismatch.status == 400);
  CHECK(mismatch.body ==
        R"({"error":"path execution_id does not match body execution_id","kind":"invalid_input"})");

  auto priority = c.request("PUT", exec("/priority"), R"({"new_priority":12})");
  CHECK(priority.status == 200);
  CHECK(priority.body == std::string(R"({"Changed":{"execution_id":")") + eid1 + "\"}}");
  s.gateway.fail_next(classify_store_error("execution_not_eligible", ""));
  auto not_eligible = c.request("PUT", exec("/priority"), R"({"new_priority":12})");
  CHECK(not_eligible.status == 409);

  // Replay and revoke read no body: any bytes (or none) are fine.
  auto replay = c.post(exec("/replay"), "this is not JSON", {{"Content-Type", "text/plain"}});
  CHECK(replay.status == 200);
  CHECK(replay.body == R"({"Replayed":{"public_state":"waiting"}})");
  s.gateway.fail_next(classify_store_error("execution_not_terminal", ""));
  auto live = c.request("POST", exec("/replay"));
  CHECK(live.status == 409);
  CHECK(live.body ==
        R"({"error":"execution_not_terminal","kind":"execution_not_terminal","retryable":false})");

  auto revoke = c.request("POST", exec("/revoke-lease"));
  CHECK(revoke.status == 200);
  CHECK(revoke.body == R"({"AlreadySatisfied":{"reason":"no_active_lease"}})");
  s.gateway.configure([](auto& a) {
    a.revoke.revoked = true;
    a.revoke.lease_id = lease_uuid;
    a.revoke.lease_epoch = 3;
  });
  CHECK(c.request("POST", exec("/revoke-lease")).body ==
        std::string(R"({"Revoked":{"lease_id":")") + lease_uuid + R"(","lease_epoch":"3"}})");
  s.gateway.fail_next(classify_store_error("execution_not_found", ""));
  auto missing = c.request("POST", exec("/revoke-lease"));
  CHECK(missing.status == 404);
  CHECK(missing.body == R"({"error":"not found: execution"})");

  const std::string reclaim =
      R"({"worker_id":"w","worker_instance_id":"i","lane_id":"default","grant_ttl_ms":5000})";
  s.gateway.configure([](auto& a) {
    a.reclaim.status = reclaim_grant_status::not_reclaimable;
    a.reclaim.detail = "execution_not_reclaimable";
  });
  auto not_reclaimable = c.post(exec("/reclaim"), reclaim);
  CHECK(not_reclaimable.status == 200);
  CHECK(not_reclaimable.body == std::string(R"({"status":"not_reclaimable","execution_id":")") + eid1 +
                                    R"(","detail":"execution_not_reclaimable"})");

  auto calls = s.gateway.calls();
  REQUIRE(calls.cancel.size() == 1);
  CHECK(calls.cancel[0].second.source == "operator_override");
  // (Calls answered by fail_next are not recorded.)
  REQUIRE(calls.priority.size() == 1);
  CHECK(calls.priority[0].second.priority == 12);
  REQUIRE(calls.replay.size() == 1);
  CHECK(calls.replay[0].second.execution_id.value == eid1);
  REQUIRE(calls.revoke.size() == 2);
  CHECK(calls.revoke[0].second.expected_lease_id.empty());
  REQUIRE(calls.reclaim.size() == 1);
  CHECK(calls.reclaim[0].second.grant_ttl_ms == 5000);

  const auto before = s.gateway.call_count();
  CHECK(c.request("POST", "/v1/executions/nope/replay").status == 400);
  CHECK(c.request("POST", "/v1/executions/nope/revoke-lease").status == 400);
  CHECK(c.request("PUT", exec("/priority"), "{}").status == 422);
  CHECK(c.post(exec("/reclaim"), R"({"worker_id":"w","worker_instance_id":"i","lane_id":"default","grant_ttl_ms":0})")
            .status == 400);
  CHECK(s.gateway.call_count() == before);
}

TEST_CASE("stream read and tail") {
  running_server s;
  auto c = s.client();
  s.gateway.configure([](auto& a) {
    a.frames.frames.push_back({"5-0", {{"frame_type", "stdout"}, {"payload", "x"}}});
    a.frames.closed_at = 9;
    a.frames.closed_reason = "attempt_failure";
  });
  auto read = c.get(exec("/attempts/0/stream?from=start&to=5-0&limit=10"));
  CHECK(read.status == 200);
  CHECK(read.body == R"({"frames":[{"id":"5-0","fields":{"frame_type":"stdout","payload":"x"}}],)"
                     R"("count":1,"closed_at":9,"closed_reason":"attempt_failure"})");
  auto tail = c.get(exec("/attempts/0/stream/tail?after=4-0&block_ms=100"));
  CHECK(tail.status == 200);
  CHECK(tail.body == read.body);
  auto calls = s.gateway.calls();
  REQUIRE(calls.read.size() == 1);
  CHECK(calls.read[0].second.from == "-");
  CHECK(calls.read[0].second.to == "5-0");
  CHECK(calls.read[0].second.count == 10);
  REQUIRE(calls.tail.size() == 1);
  CHECK(calls.tail[0].second.after_id == "4-0");
  CHECK(calls.tail[0].second.block_ms == 100);

  s.gateway.fail_next(engine_error::resource_exhausted("stream_ops", 1));
  auto busy = c.get(exec("/attempts/0/stream/tail?block_ms=2000"));
  CHECK(busy.status == 429);
  CHECK(busy.body ==
        R"({"error":"too many concurrent stream_ops calls (server max: 1); retry with backoff","kind":"resource_exhausted","retryable":true})");

  const auto before = s.gateway.call_count();
  CHECK(c.get(exec("/attempts/0/stream?from=-")).status == 400);
  CHECK(c.get(exec("/attempts/0/stream?limit=0")).status == 400);
  CHECK(c.get(exec("/attempts/0/stream/tail?after=start")).status == 400);
  CHECK(c.get(exec("/attempts/0/stream/tail?block_ms=30001")).status == 400);
  CHECK(c.get("/v1/executions/nope/attempts/0/stream").status == 400);
  CHECK(s.gateway.call_count() == before);
}
