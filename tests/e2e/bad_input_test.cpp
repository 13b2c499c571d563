// Every bad create request gets the right 4xx JSON error and stores nothing.

#include <doctest/doctest.h>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

struct bad_case {
  const char* name;
  std::string body;
  unsigned status;
  std::string error_prefix;
};

void check_error_body(const http_response& res, const std::string& error_prefix) {
  CHECK(res.header("content-type") == "application/json");
  auto doc = parse_json(res.body);
  REQUIRE(doc.IsObject());
  REQUIRE(doc.HasMember("error"));
  CHECK(std::string(doc["error"].GetString()).rfind(error_prefix, 0) == 0);
}

} // namespace

TEST_CASE("bad create requests are refused and change nothing") {
  redis_server redis;
  const std::uint16_t partitions = 4;
  node_process node(node_env(redis, partitions));
  http_client client("127.0.0.1", node.port());

  auto id = execution_id::mint(1).value;
  auto good = create_body(id, 1);
  auto without = [&](const char* field) {
    auto doc = parse_json(good);
    doc.RemoveMember(field);
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> writer(out);
    doc.Accept(writer);
    return std::string(out.GetString());
  };
  auto with = [&](const std::string& extra) { return create_body(id, 1, extra); };

  const std::string unprocessable = "invalid JSON: Unprocessable Entity";
  std::vector<bad_case> cases = {
    {"missing namespace", without("namespace"), 422, unprocessable},
    {"missing lane", without("lane_id"), 422, unprocessable},
    {"missing kind", without("execution_kind"), 422, unprocessable},
    {"missing payload", without("input_payload"), 422, unprocessable},
    {"missing priority", without("priority"), 422, unprocessable},
    {"missing creator", without("creator_identity"), 422, unprocessable},
    {"payload as string", with(R"("input_payload":"{}")"), 422, unprocessable},
    {"payload byte out of range", with(R"("input_payload":[1,256])"), 422, unprocessable},
    {"priority as string", with(R"("priority":"high")"), 422, unprocessable},
    {"priority beyond i32", with(R"("priority":99999999999)"), 422, unprocessable},
    {"tags not strings", with(R"("tags":{"a":1})"), 422, unprocessable},
    {"bad execution id", create_body("{fp:1}:not-a-uuid", 1), 422, unprocessable},
    {"bare uuid id", create_body("6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21", 1), 422, unprocessable},
    {"empty lane", with(R"("lane_id":"")"), 422, unprocessable},
    {"lane too long", with(R"("lane_id":")" + std::string(65, 'l') + "\""), 422, unprocessable},
    {"lane with control byte", with(R"("lane_id":"a\tb")"), 422, unprocessable},
    {"partition mismatch", create_body(id, 2), 400, "partition_id does not match"},
    {"partition beyond count", create_body(execution_id::mint(9).value, 9), 400, ""},
    {"syntax error", "{\"namespace\":", 400, "invalid JSON: Bad Request"},
    {"not an object", "[1,2]", 422, unprocessable},
    {"malformed policy", with(R"("policy":{"retry_policy":"often"})"), 400, "invalid_policy_json"},
    {"capability with comma", with(R"("policy":{"routing_requirements":{"required_capabilities":["a,b"]}})"),
     400, "invalid_capabilities"},
    {"capability with space", with(R"("policy":{"routing_requirements":{"required_capabilities":["a b"]}})"),
     400, "invalid_capabilities"},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.name));
    auto res = client.post("/v1/executions", c.body);
    CHECK(res.status == c.status);
    check_error_body(res, c.error_prefix);
  }

  SUBCASE("empty body") {
    auto res = client.post("/v1/executions", "", {{"Content-Type", "application/json"}});
    CHECK(res.status == 400);
    check_error_body(res, "invalid JSON: Bad Request");
  }
  SUBCASE("wrong content type") {
    auto res = client.post("/v1/executions", good, {{"Content-Type", "text/plain"}});
    CHECK(res.status == 415);
    check_error_body(res, "invalid JSON: Unsupported Media Type");
  }
  SUBCASE("oversize body") {
    std::string big = with(R"("tags":{"pad":")" + std::string(1'100'000, 'x') + "\"}");
    auto res = client.post("/v1/executions", big);
    CHECK(res.status == 413);
    auto doc = parse_json(res.body);
    CHECK(std::string(doc["error"].GetString()) == "payload_too_large");
    CHECK(doc["limit_bytes"].GetUint() == 1'048'576);
    CHECK(std::string(doc["route"].GetString()) == "/v1/executions");
  }
  SUBCASE("bad path and query") {
    auto bad_id = client.get("/v1/executions/not-an-id");
    CHECK(bad_id.status == 400);
    check_error_body(bad_id, "invalid execution_id");
    auto missing = client.get(exec_path(execution_id::mint(1).value));
    CHECK(missing.status == 404);
    check_error_body(missing, "execution not found: ");
    CHECK(client.get(exec_path(execution_id::mint(1).value, "/state")).status == 404);
    auto no_partition = client.get("/v1/executions");
    CHECK(no_partition.status == 400);
    check_error_body(no_partition, "");
    auto bad_limit = client.get("/v1/executions?partition=1&limit=many");
    CHECK(bad_limit.status == 400);
    check_error_body(bad_limit, "");
    auto bad_cursor = client.get("/v1/executions?partition=1&cursor=zzz");
    CHECK(bad_cursor.status == 400);
    check_error_body(bad_cursor, "invalid cursor");
    CHECK(client.get("/v1/nothing-here").status == 404);
    CHECK(client.request("DELETE", "/v1/executions").status == 405);
  }

  // Nothing above stored anything.
  CHECK(count_all(client, partitions) == 0);
  // And the good body still works afterwards.
  CHECK(client.post("/v1/executions", good).status == 201);
  CHECK(count_all(client, partitions) == 1);
}
