// Bad input on every worker, operator and stream route answers the right
// 4xx JSON error and changes nothing.

#include <doctest/doctest.h>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

struct bad_call {
  const char* name;
  const char* method;
  std::string target;
  std::string body;
  unsigned status;
  std::string error_prefix; // of the `error` text (or `detail` for 422)
};

void check(http_client& client, const bad_call& c) {
  CAPTURE(c.name);
  CAPTURE(c.target);
  auto res = client.request(c.method, c.target, c.body);
  CHECK(res.status == c.status);
  CHECK(res.header("content-type") == "application/json");
  auto doc = parse_json(res.body);
  REQUIRE(doc.IsObject());
  std::string text = c.status == 422 ? json_string(doc, "detail") : json_string(doc, "error");
  CHECK_MESSAGE(text.rfind(c.error_prefix, 0) == 0, "got: " << res.body);
}

} // namespace

TEST_CASE("bad input on the worker and operator routes changes nothing") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  // Same partition, so priority decides which one the worker gets.
  auto running = create_execution(client, 1, R"("priority":9000)");
  auto waiting = create_execution(client, 1);
  auto first = acquire(client, "w");
  REQUIRE(first.status == 200);
  auto lease = parse_lease(first.body);
  REQUIRE(lease.execution_id == running);

  auto unknown = execution_id::mint(3).value;
  const std::string fence = lease.fence();
  held_lease wrong = lease;
  wrong.lease_id = uuid::random_v4().str();
  const std::string no_lease_id = R"({"lease_epoch":1,"attempt_index":0})";
  const std::string epoch_string =
      R"({"lease_id":")" + lease.lease_id + R"(","lease_epoch":"1","attempt_index":0})";
  const std::string no_index =
      R"({"lease_id":")" + lease.lease_id + R"(","lease_epoch":1})";
  const std::string acquire_ok = R"({"lane_id":"default","worker_instance_id":"i"})";

  std::vector<bad_call> calls = {
    // acquire / claim / heartbeat
    {"acquire: worker id with a space", "POST", "/v1/workers/a%20b/acquire", acquire_ok, 400,
     "worker_id: must not contain whitespace"},
    {"acquire: missing lane", "POST", "/v1/workers/w/acquire", R"({"worker_instance_id":"i"})", 422,
     "lane_id: missing required field"},
    {"acquire: lane too long", "POST", "/v1/workers/w/acquire",
     R"({"worker_instance_id":"i","lane_id":")" + std::string(65, 'l') + "\"}", 400,
     "lane_id: lane_id exceeds 64 bytes"},
    {"acquire: bad capability", "POST", "/v1/workers/w/acquire",
     R"({"lane_id":"default","worker_instance_id":"i","capabilities":["a,b"]})", 400,
     "invalid_capabilities: worker:comma_in_token"},
    {"acquire: ttl too short", "POST", "/v1/workers/w/acquire",
     R"({"lane_id":"default","worker_instance_id":"i","lease_ttl_ms":10})", 400,
     "lease_ttl_ms must be in 1000..=3600000"},
    {"acquire: wait too long", "POST", "/v1/workers/w/acquire",
     R"({"lane_id":"default","worker_instance_id":"i","wait_ms":30001})", 400,
     "wait_ms exceeds 30000ms ceiling"},
    {"acquire: wait not a number", "POST", "/v1/workers/w/acquire",
     R"({"lane_id":"default","worker_instance_id":"i","wait_ms":"1"})", 422, "wait_ms: expected"},
    {"claim: missing grant ttl", "POST", "/v1/workers/w/claim", acquire_ok, 422,
     "grant_ttl_ms: missing required field"},
    {"claim: grant ttl 0", "POST", "/v1/workers/w/claim",
     R"({"lane_id":"default","worker_instance_id":"i","grant_ttl_ms":0})", 400,
     "grant_ttl_ms must be in 1..=60000"},
    {"heartbeat: no instance", "POST", "/v1/workers/w/heartbeat", "{}", 422,
     "worker_instance_id: missing required field"},
    {"heartbeat: ttl", "POST", "/v1/workers/w/heartbeat", R"({"worker_instance_id":"i","ttl_ms":1})",
     400, "ttl_ms must be in 1000..=3600000"},
    // grant consumption
    {"claim execution: bad id", "POST", "/v1/executions/nope/claim",
     R"({"worker_id":"w","worker_instance_id":"i","lane_id":"default"})", 400,
     "invalid execution_id: must start with {fp:"},
    {"claim execution: unknown", "POST", exec_path(unknown, "/claim"),
     R"({"worker_id":"w","worker_instance_id":"i","lane_id":"default"})", 404, "not found"},
    {"claim execution: no grant", "POST", exec_path(waiting, "/claim"),
     R"({"worker_id":"w","worker_instance_id":"i","lane_id":"default"})", 409, "invalid_claim_grant"},
    // lease holder
    {"stream append: idx mismatch", "POST", exec_path(running, "/attempts/1/stream"),
     lease.fence(R"("frames":[{"frame_type":"t","data":"d"}])"), 400,
     "path idx does not match body attempt_index"},
    {"stream append: idx not a u32", "POST", exec_path(running, "/attempts/x/stream"),
     lease.fence(R"("frames":[{"frame_type":"t","data":"d"}])"), 400, "Invalid URL"},
    {"stream append: no frames", "POST", exec_path(running, "/attempts/0/stream"), fence, 422,
     "frames: missing required field"},
    {"stream append: empty batch", "POST", exec_path(running, "/attempts/0/stream"),
     lease.fence(R"("frames":[])"), 400, "frames must hold 1..=64 entries"},
    {"stream append: wrong fence", "POST", exec_path(running, "/attempts/0/stream"),
     wrong.fence(R"("frames":[{"frame_type":"t","data":"d"}])"), 409, "stale_owner_cannot_append"},
    {"stream append: unknown execution", "POST", exec_path(unknown, "/attempts/0/stream"),
     lease.fence(R"("frames":[{"frame_type":"t","data":"d"}])"), 404, "not found"},
    {"complete: bad base64", "POST", exec_path(running, "/complete"), lease.fence(R"("result":"@@")"),
     400, "invalid_input: result is not valid base64"},
    {"fail: no error", "POST", exec_path(running, "/fail"), fence, 422, "error: missing required field"},
    {"fail: error without message", "POST", exec_path(running, "/fail"),
     lease.fence(R"("error":{"code":"c"})"), 422, "error.message: missing required field"},
    {"progress: pct over 100", "POST", exec_path(running, "/progress"), lease.fence(R"("pct":101)"),
     400, "pct must be in 0..=100"},
    {"renew: ttl", "POST", exec_path(running, "/lease/renew"), lease.fence(R"("lease_ttl_ms":1)"), 400,
     "lease_ttl_ms must be in 1000..=3600000"},
    // operator
    {"cancel: id mismatch", "POST", exec_path(running, "/cancel"),
     R"({"execution_id":")" + waiting + R"(","reason":"r","now":1})", 400,
     "path execution_id does not match body execution_id"},
    {"cancel: missing now", "POST", exec_path(running, "/cancel"),
     R"({"execution_id":")" + running + R"(","reason":"r"})", 422, "now: missing required field"},
    {"cancel: unknown", "POST", exec_path(unknown, "/cancel"),
     R"({"execution_id":")" + unknown + R"(","reason":"r","now":1})", 404, "not found"},
    {"priority: missing", "PUT", exec_path(waiting, "/priority"), "{}", 422,
     "new_priority: missing required field"},
    {"priority: unknown", "PUT", exec_path(unknown, "/priority"), R"({"new_priority":1})", 404,
     "not found"},
    {"replay: bad id", "POST", "/v1/executions/%7Bfp:1%7D:x/replay", "", 400,
     "invalid execution_id: suffix is not a UUID"},
    {"replay: unknown", "POST", exec_path(unknown, "/replay"), "", 404, "not found"},
    {"revoke: unknown", "POST", exec_path(unknown, "/revoke-lease"), "", 404, "not found"},
    {"reclaim: grant ttl", "POST", exec_path(running, "/reclaim"),
     R"({"worker_id":"w","worker_instance_id":"i","lane_id":"default","grant_ttl_ms":0})", 400,
     "grant_ttl_ms must be in 1..=60000"},
    {"reclaim: unknown", "POST", exec_path(unknown, "/reclaim"),
     R"({"worker_id":"w","worker_instance_id":"i","lane_id":"default","grant_ttl_ms":10})", 404,
     "not found"},
    // stream reads
    {"read: bare marker", "GET", exec_path(running, "/attempts/0/stream?from=-"), "", 400,
     "Failed to deserialize query string"},
    {"read: limit 0", "GET", exec_path(running, "/attempts/0/stream?limit=0"), "", 400,
     "limit must be >= 1"},
    {"read: limit over the ceiling", "GET", exec_path(running, "/attempts/0/stream?limit=1001"), "",
     400, "limit exceeds REST ceiling 1000"},
    {"tail: keyword cursor", "GET", exec_path(running, "/attempts/0/stream/tail?after=start"), "", 400,
     "after: XREAD cursor must be a concrete entry id"},
    {"tail: block too long", "GET", exec_path(running, "/attempts/0/stream/tail?block_ms=30001"), "",
     400, "block_ms exceeds 30000ms ceiling"},
    {"tail: bad id", "GET", "/v1/executions/nope/attempts/0/stream/tail", "", 400,
     "invalid execution_id"},
  };
  for (const char* route : {"/lease/renew", "/complete", "/fail", "/progress"}) {
    std::string r = route;
    calls.push_back({"missing lease_id", "POST", exec_path(running, r), no_lease_id, 422,
                     "lease_id: missing required field"});
    calls.push_back({"epoch as a string", "POST", exec_path(running, r), epoch_string, 422,
                     "lease_epoch: expected a non-negative integer"});
    calls.push_back({"missing attempt_index", "POST", exec_path(running, r), no_index, 422,
                     "attempt_index: missing required field"});
    std::string extra = r == "/fail" ? R"("error":{"code":"c","message":"m"})"
                        : r == "/progress" ? R"("pct":1)" : "";
    calls.push_back({"bad id", "POST", "/v1/executions/nope" + r, lease.fence(extra), 400,
                     "invalid execution_id: must start with {fp:"});
    calls.push_back({"unknown execution", "POST", exec_path(unknown, r), lease.fence(extra), 404,
                     "not found"});
    calls.push_back({"wrong fence", "POST", exec_path(running, r), wrong.fence(extra), 409, ""});
  }
  for (const auto& c : calls) check(client, c);

  // Nothing changed: one execution still waiting, the other still held by
  // the same lease, no result, no frames, no other attempt.
  CHECK(state_of(client, waiting) == "waiting");
  CHECK(state_of(client, running) == "active");
  auto info = parse_json(client.get(exec_path(running)).body);
  CHECK(info["current_attempt_index"].GetUint() == 0);
  CHECK(client.get(exec_path(running, "/result")).status == 404);
  CHECK(client.get(exec_path(running, "/attempts/0/stream")).body == R"({"frames":[],"count":0})");
  auto renew = client.post(exec_path(running, "/lease/renew"), fence);
  CHECK(renew.status == 200);
  CHECK(client.get(exec_path(unknown)).status == 404);
  CHECK(count_all(client, 8) == 2);
}
