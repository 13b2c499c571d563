// What a client stores comes back byte-exact, bad values are refused with
// a 4xx that names them, and a blind retry is safe: payloads of every byte
// value, JSON results as written, NULs in stream frames, idempotency keys
// that cannot collide, and the fence's attempt_id.

#include <doctest/doctest.h>

#include <mutex>
#include <set>
#include <thread>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

std::string all_bytes_array() {
  std::string out = "[";
  for (int b = 0; b < 256; ++b) out += (b ? "," : "") + std::to_string(b);
  return out + "]";
}

std::string array_text(const rapidjson::Value& v) {
  std::string out = "[";
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
    out += (i ? "," : "") + std::to_string(v[i].GetUint());
  return out + "]";
}

held_lease take(http_client& client, const std::string& worker = "w") {
  auto got = acquire(client, worker);
  if (got.status != 200) throw std::runtime_error("acquire: " + got.body);
  return parse_lease(got.body);
}

std::string field_of(const http_response& r, const char* name) {
  auto doc = parse_json(r.body);
  return doc.IsObject() && doc.HasMember(name) && doc[name].IsString() ? doc[name].GetString() : "";
}

} // namespace

TEST_CASE("input payloads are bytes: every value 0-255 reaches the worker unchanged") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  auto id = create_execution(client, 3, R"("input_payload":)" + all_bytes_array());
  auto got = acquire(client, "w");
  REQUIRE(got.status == 200);
  auto doc = parse_json(got.body);
  CHECK(json_string(doc, "execution_id") == id);
  CHECK(array_text(doc["input_payload"]) == all_bytes_array());
}

TEST_CASE("results: empty, absent and JSON values read back exactly as sent") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  struct example { const char* result_member; std::string stored; };
  const example examples[] = {
    {R"("result":"")", ""},
    {"", ""},
    {R"("result":{"c":-0})", R"({"c":-0})"},
    {R"("result":18446744073709551616)", "18446744073709551616"},
    {R"("result":1e2)", "1e2"},
    {R"("result":[1.50, "x\u00e9" ,{ }])", R"([1.50, "x\u00e9" ,{ }])"},
  };
  for (const auto& e : examples) {
    CAPTURE(e.result_member);
    auto id = create_execution(client, 1);
    auto lease = take(client);
    REQUIRE(lease.execution_id == id);
    auto done = client.post(exec_path(id, "/complete"), lease.fence(e.result_member));
    REQUIRE_MESSAGE(done.status == 200, done.body);
    auto result = client.get(exec_path(id, "/result"));
    CHECK(result.status == 200);
    CHECK(result.body == e.stored);
  }
}

TEST_CASE("stream frames keep NUL bytes in data and correlation_id") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  auto id = create_execution(client, 2);
  auto lease = take(client);
  auto appended = client.post(
    exec_path(id, "/attempts/0/stream"),
    lease.fence(R"("frames":[{"frame_type":"stdout","data":"a\u0000b","correlation_id":"c\u0000d"}])"));
  REQUIRE_MESSAGE(appended.status == 200, appended.body);
  for (const char* route : {"/attempts/0/stream", "/attempts/0/stream/tail?after=0-0"}) {
    CAPTURE(route);
    auto read = client.get(exec_path(id, route));
    REQUIRE(read.status == 200);
    auto doc = parse_json(read.body);
    REQUIRE(doc["frames"].Size() == 1);
    const auto& fields = doc["frames"][0]["fields"];
    CHECK(std::string(fields["payload"].GetString(), fields["payload"].GetStringLength()) ==
          std::string("a\0b", 3));
    CHECK(std::string(fields["correlation_id"].GetString(),
                      fields["correlation_id"].GetStringLength()) == std::string("c\0d", 3));
  }
}

TEST_CASE("a retried create with an idempotency key and no id finds the first, even in parallel") {
  redis_server redis;
  node_process node(node_env(redis, 16));
  const std::string body = R"({"namespace":"shop","lane_id":"default","execution_kind":"order",)"
                           R"("input_payload":[1],"priority":0,"creator_identity":"t",)"
                           R"("idempotency_key":"order-1"})";
  std::mutex mu;
  std::vector<http_response> answers;
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      http_client c("127.0.0.1", node.port());
      auto r = c.post("/v1/executions", body);
      std::lock_guard<std::mutex> lock(mu);
      answers.push_back(r);
    });
  for (auto& t : threads) t.join();
  http_client client("127.0.0.1", node.port());
  for (int i = 0; i < 6; ++i) answers.push_back(client.post("/v1/executions", body));

  std::set<std::string> ids;
  int created = 0;
  for (const auto& a : answers) {
    auto doc = parse_json(a.body);
    REQUIRE_MESSAGE(doc.IsObject(), a.body);
    if (doc.HasMember("Created")) {
      ++created;
      ids.insert(json_string(doc["Created"], "execution_id"));
    } else {
      REQUIRE_MESSAGE(doc.HasMember("Duplicate"), a.body);
      ids.insert(json_string(doc["Duplicate"], "execution_id"));
    }
  }
  CHECK(created == 1);
  CHECK(ids.size() == 1);
  CHECK(count_all(client, 16) == 1);
}

TEST_CASE("idempotency keys of different namespaces never collide") {
  redis_server redis;
  node_process node(node_env(redis, 1));
  http_client client("127.0.0.1", node.port());
  auto create = [&](const std::string& ns, const std::string& key) {
    return client.post("/v1/executions",
                       R"({"namespace":")" + ns + R"(","lane_id":"default","execution_kind":"k",)"
                       R"("input_payload":[],"priority":0,"creator_identity":"t","idempotency_key":")" +
                         key + "\"}");
  };
  auto first = create("a:y", "z");
  auto second = create("a", "y:z");
  CHECK(first.status == 201);
  CHECK(second.status == 201);
  CHECK(first.body != second.body);
  CHECK(create("a", "y:z").body.find("Duplicate") != std::string::npos);
}

TEST_CASE("the fence's attempt_id: a wrong one is a stale lease and changes nothing") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  auto id = create_execution(client, 5);
  auto lease = take(client);
  auto wrong = lease;
  wrong.attempt_id = uuid::random_v4().str();
  for (const char* route : {"/complete", "/fail", "/progress", "/lease/renew"}) {
    CAPTURE(route);
    std::string extra = std::string(route) == "/fail" ? R"("error":{"code":"x","message":"y"})"
                        : std::string(route) == "/progress" ? R"("pct":5)" : "";
    auto r = client.post(exec_path(id, route), wrong.fence(extra));
    CHECK(r.status == 409);
    CHECK(r.body.find("stale_lease") != std::string::npos);
  }
  CHECK(state_of(client, id) == "active");
  CHECK(client.post(exec_path(id, "/complete"), lease.fence()).status == 200);
  CHECK(state_of(client, id) == "completed");
}

TEST_CASE("GET execution shows the last error with its details, progress and the cancel reason") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  auto id = create_execution(client, 4, R"("policy":{"retry_policy":{"max_retries":1,"backoff":{"type":"fixed","delay_ms":0}}})");
  auto before = parse_json(client.get(exec_path(id)).body);
  CHECK(before["last_error"].IsNull());
  CHECK(before["progress"].IsNull());
  CHECK(before["cancel_reason"].IsNull());

  auto lease = take(client);
  REQUIRE(client.post(exec_path(id, "/progress"), lease.fence(R"("pct":40,"message":"warming up")")).status == 200);
  auto failed = client.post(exec_path(id, "/fail"),
                            lease.fence(R"("error":{"code":"E42","message":"disk full","details":{"free": -0, "path":"/x"}})"));
  REQUIRE_MESSAGE(failed.status == 200, failed.body);
  auto info = client.get(exec_path(id));
  REQUIRE(info.status == 200);
  CHECK(info.body.find(R"("last_error":{"code":"E42","message":"disk full","details":{"free": -0, "path":"/x"}})") !=
        std::string::npos);
  CHECK(info.body.find(R"("progress":{"pct":40,"message":"warming up"})") != std::string::npos);

  auto cancel = client.post(exec_path(id, "/cancel"),
                            R"({"execution_id":")" + id + R"(","reason":"operator: wrong input","now":0})");
  REQUIRE_MESSAGE(cancel.status == 200, cancel.body);
  auto after = parse_json(client.get(exec_path(id)).body);
  CHECK(json_string(after, "cancel_reason") == "operator: wrong input");
  CHECK(json_string(after, "public_state") == "cancelled");
}

TEST_CASE("bounds: retry backoff, times, kids and surrogates are refused with a message naming them") {
  redis_server redis;
  node_process node(node_env(redis, 2));
  http_client client("127.0.0.1", node.port());
  const std::size_t before = count_all(client, 2);
  struct bad_create { const char* name; std::string member; unsigned status; const char* says; };
  const bad_create cases[] = {
    {"fixed delay i64 max", R"("policy":{"retry_policy":{"backoff":{"type":"fixed","delay_ms":9223372036854775807}}})",
     400, "retry_policy.backoff.delay_ms: must be at most 31536000000"},
    {"fixed delay u64 max", R"("policy":{"retry_policy":{"backoff":{"type":"fixed","delay_ms":18446744073709551615}}})",
     400, "retry_policy.backoff.delay_ms"},
    {"huge multiplier", R"("policy":{"retry_policy":{"backoff":{"type":"exponential","multiplier":1e308}}})",
     400, "retry_policy.backoff.multiplier: must be between 1 and 1000"},
    {"shrinking multiplier", R"("policy":{"retry_policy":{"backoff":{"type":"exponential","multiplier":0.5}}})",
     400, "retry_policy.backoff.multiplier"},
    {"huge initial delay", R"("policy":{"retry_policy":{"backoff":{"type":"exponential","initial_delay_ms":31536000001}}})",
     400, "retry_policy.backoff.initial_delay_ms"},
    {"delay_until past 15 digits", R"("delay_until":1000000000000000)", 422,
     "delay_until: must be within +/-999999999999999"},
    {"deadline past 15 digits", R"("execution_deadline_at":9223372036854775807)", 422,
     "execution_deadline_at: must be within"},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.name));
    auto r = client.post("/v1/executions", create_body({}, 0, c.member));
    CHECK(r.status == c.status);
    CHECK_MESSAGE(r.body.find(c.says) != std::string::npos, r.body);
  }
  // Unpaired surrogates in any string field (the fixture's JSON parser
  // would refuse these, so the bodies are written out).
  for (const char* text : {R"(x\udc00y)", R"(x\ud800y)", R"(\udfff)", R"(\ud800\u0041)"}) {
    CAPTURE(std::string(text));
    auto r = client.post("/v1/executions",
                         std::string(R"({"namespace":")") + text +
                           R"(","lane_id":"default","execution_kind":"k","input_payload":[],)"
                           R"("priority":0,"creator_identity":"t"})");
    CHECK(r.status == 400);
    CHECK_MESSAGE(r.body.find("surrogate") != std::string::npos, r.body);
  }
  CHECK(count_all(client, 2) == before);
  // The largest accepted time is stored and read back.
  auto ok = client.post("/v1/executions", create_body({}, 1, R"("delay_until":999999999999999)"));
  CHECK(ok.status == 201);

  auto long_kid = client.post("/v1/admin/rotate-waitpoint-secret",
                              R"({"new_kid":")" + std::string(10000, 'k') +
                                R"(","new_secret_hex":"00ff"})");
  CHECK(long_kid.status == 400);
  CHECK(field_of(long_kid, "error") == "new_kid must be at most 64 bytes");
}

TEST_CASE("the largest retry backoff is scheduled exactly, never overflowing") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  auto id = create_execution(
    client, 6, R"("policy":{"retry_policy":{"max_retries":3,"backoff":{"type":"exponential","initial_delay_ms":31536000000,"max_delay_ms":31536000000,"multiplier":1000}}})");
  auto lease = take(client);
  const auto before = now_ms();
  auto failed = client.post(exec_path(id, "/fail"), lease.fence(R"("error":{"code":"x","message":"y"})"));
  REQUIRE_MESSAGE(failed.status == 200, failed.body);
  auto doc = parse_json(failed.body);
  CHECK(json_string(doc, "outcome") == "retry_scheduled");
  REQUIRE(doc["retry_at"].IsInt64());
  CHECK(doc["retry_at"].GetInt64() >= before + 31536000000LL);
  CHECK(doc["retry_at"].GetInt64() <= now_ms() + 31536000000LL);
  CHECK(state_of(client, id) == "delayed");
}

TEST_CASE("work only capable workers may take is shown as waiting for one, and a capable worker takes it") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  auto id = create_execution(client, 7,
                             R"("policy":{"routing_requirements":{"required_capabilities":["gpu"]}})");
  auto cpu = acquire(client, "cpu-worker", R"("capabilities":["cpu"])");
  CHECK(cpu.status == 204);
  auto info = parse_json(client.get(exec_path(id)).body);
  CHECK(json_string(info["state_vector"], "eligibility_state") == "blocked_by_route");
  CHECK(json_string(info["state_vector"], "blocking_reason") == "waiting_for_capable_worker");
  CHECK(json_string(info, "public_state") == "waiting");
  CHECK(json_string(info, "blocking_detail").find("gpu") != std::string::npos);

  auto gpu = acquire(client, "gpu-worker", R"("capabilities":["gpu","cpu"])");
  REQUIRE(gpu.status == 200);
  CHECK(parse_lease(gpu.body).execution_id == id);
  CHECK(state_of(client, id) == "active");
}

TEST_CASE("the new metric series are exposed") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  create_execution(client, 0);
  auto lease = take(client);
  REQUIRE(client.post(exec_path(lease.execution_id, "/lease/renew"), lease.fence()).status == 200);
  auto stale = lease;
  stale.lease_epoch += 7;
  CHECK(client.post(exec_path(lease.execution_id, "/lease/renew"), stale.fence()).status == 409);
  auto metrics = client.get("/metrics").body;
  CHECK(metric_value(metrics, R"(ff_claim_from_grant_duration_seconds_count{lane="default"})") >= 1);
  CHECK(metric_value(metrics, R"(ff_lease_renewal_total{outcome="ok"})") == 1);
  CHECK(metric_value(metrics, R"(ff_lease_renewal_total{outcome="stale_lease"})") == 1);
  CHECK(metrics.find("ff_worker_at_capacity_total 0") != std::string::npos);
  CHECK(metric_value(metrics, "ff_lanes_served") == 1);
}
