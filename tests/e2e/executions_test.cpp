// Creating and reading executions through a real node on a real redis-server.

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("create, get, state and result of an execution") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto id = execution_id::mint(3).value;
  auto created = client.post("/v1/executions",
                             create_body(id, 3, R"("tags":{"team":"infra"},"priority":20000)"));
  REQUIRE(created.status == 201);
  CHECK(created.header("content-type") == "application/json");
  auto doc = parse_json(created.body);
  CHECK(std::string(doc["Created"]["execution_id"].GetString()) == id);
  CHECK(std::string(doc["Created"]["public_state"].GetString()) == "waiting");

  auto got = client.get(exec_path(id));
  REQUIRE(got.status == 200);
  auto info = parse_json(got.body);
  CHECK(std::string(info["execution_id"].GetString()) == id);
  CHECK(std::string(info["namespace"].GetString()) == "tests");
  CHECK(std::string(info["lane_id"].GetString()) == "default");
  CHECK(std::string(info["execution_kind"].GetString()) == "echo");
  CHECK(info["priority"].GetInt() == 9000); // clamped
  CHECK(std::string(info["public_state"].GetString()) == "waiting");
  auto& sv = info["state_vector"];
  CHECK(std::string(sv["lifecycle_phase"].GetString()) == "runnable");
  CHECK(std::string(sv["ownership_state"].GetString()) == "unowned");
  CHECK(std::string(sv["eligibility_state"].GetString()) == "eligible_now");
  CHECK(std::string(sv["blocking_reason"].GetString()) == "waiting_for_worker");
  CHECK(std::string(sv["terminal_outcome"].GetString()) == "none");
  CHECK(std::string(sv["attempt_state"].GetString()) == "pending_first_attempt");
  CHECK(std::string(sv["public_state"].GetString()) == "waiting");
  CHECK(info["created_at"].IsString());
  CHECK(std::stoll(info["created_at"].GetString()) > 1700000000000LL);
  CHECK_FALSE(info.HasMember("started_at"));
  CHECK_FALSE(info.HasMember("completed_at"));
  CHECK(info["flow_id"].IsNull());
  CHECK(info["current_attempt_index"].GetUint() == 0);
  CHECK(std::string(info["blocking_detail"].GetString()).empty());

  // Raw braces in the path are accepted as well as percent-encoded ones.
  auto raw = client.get("/v1/executions/" + id + "/state");
  REQUIRE(raw.status == 200);
  CHECK(raw.body == "\"waiting\"");

  auto result = client.get(exec_path(id, "/result"));
  CHECK(result.status == 404);
  CHECK(parse_json(result.body)["error"].GetString() ==
        std::string("execution result not found: ") + id);
}

TEST_CASE("a delayed execution, and a past delay that is eligible at once") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto later = execution_id::mint(1).value;
  auto future_ms = std::to_string(now_ms() + 3'600'000);
  auto r1 = client.post("/v1/executions", create_body(later, 1, R"("delay_until":)" + future_ms));
  REQUIRE(r1.status == 201);
  CHECK(std::string(parse_json(r1.body)["Created"]["public_state"].GetString()) == "delayed");
  auto s1 = parse_json(client.get(exec_path(later)).body);
  CHECK(std::string(s1["state_vector"]["eligibility_state"].GetString()) ==
        "not_eligible_until_time");
  CHECK(std::string(s1["state_vector"]["blocking_reason"].GetString()) == "waiting_for_delay");

  auto past = execution_id::mint(1).value;
  auto r2 = client.post("/v1/executions", create_body(past, 1, R"("delay_until":1000)"));
  REQUIRE(r2.status == 201);
  CHECK(std::string(parse_json(r2.body)["Created"]["public_state"].GetString()) == "waiting");
  CHECK(client.get(exec_path(past, "/state")).body == "\"waiting\"");
}

TEST_CASE("ids are minted on a random partition when omitted") {
  redis_server redis;
  node_process node(node_env(redis, 8));
  http_client client("127.0.0.1", node.port());

  std::set<std::uint16_t> partitions;
  for (int i = 0; i < 40; ++i) {
    auto res = client.post("/v1/executions", create_body("", 0));
    REQUIRE(res.status == 201);
    auto id = std::string(parse_json(res.body)["Created"]["execution_id"].GetString());
    auto parsed = execution_id::parse(id);
    REQUIRE(parsed);
    CHECK(parsed->partition < 8);
    partitions.insert(parsed->partition);
    CHECK(client.get(exec_path(id, "/state")).status == 200);
  }
  // 40 uniform draws over 8 partitions miss more than half of them with
  // negligible probability; one partition for all would mean no spreading.
  CHECK(partitions.size() >= 4);
}

TEST_CASE("idempotent create and duplicate id") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto first = execution_id::mint(2).value;
  auto key = R"("idempotency_key":"order-42")";
  REQUIRE(client.post("/v1/executions", create_body(first, 2, key)).status == 201);

  // Same key, another id on the same partition: the original id comes back.
  auto second = execution_id::mint(2).value;
  auto dup = client.post("/v1/executions", create_body(second, 2, key));
  REQUIRE(dup.status == 200);
  CHECK(std::string(parse_json(dup.body)["Duplicate"]["execution_id"].GetString()) == first);
  CHECK(client.get(exec_path(second)).status == 404);

  // The same id again.
  auto again = client.post("/v1/executions", create_body(first, 2));
  REQUIRE(again.status == 200);
  CHECK(std::string(parse_json(again.body)["Duplicate"]["execution_id"].GetString()) == first);

  // The key is scoped by namespace.
  auto other_ns = execution_id::mint(2).value;
  auto body = create_body(other_ns, 2, key);
  body.replace(body.find("\"tests\""), 7, "\"billing\"");
  CHECK(client.post("/v1/executions", body).status == 201);

  CHECK(list_partition(client, 2).size() == 2);
}

TEST_CASE("listing pages through a partition in byte order") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(execution_id::mint(5).value);
    REQUIRE(client.post("/v1/executions", create_body(ids.back(), 5)).status == 201);
  }
  REQUIRE(client.post("/v1/executions", create_body(execution_id::mint(4).value, 4)).status == 201);
  std::sort(ids.begin(), ids.end());

  auto page1 = parse_json(client.get("/v1/executions?partition=5&limit=3").body);
  REQUIRE(page1["executions"].Size() == 3);
  CHECK(std::string(page1["executions"][0].GetString()) == ids[0]);
  CHECK(std::string(page1["executions"][2].GetString()) == ids[2]);
  CHECK(std::string(page1["next_cursor"].GetString()) == ids[2]);

  auto page2 = parse_json(
    client.get("/v1/executions?partition=5&limit=3&cursor=" + url_encode(ids[2])).body);
  REQUIRE(page2["executions"].Size() == 3);
  CHECK(std::string(page2["executions"][0].GetString()) == ids[3]);

  auto page3 = parse_json(
    client.get("/v1/executions?partition=5&limit=3&cursor=" + url_encode(ids[5])).body);
  REQUIRE(page3["executions"].Size() == 1);
  CHECK(std::string(page3["executions"][0].GetString()) == ids[6]);
  CHECK(page3["next_cursor"].IsNull());

  CHECK(list_partition(client, 5) == ids);
  auto empty = parse_json(client.get("/v1/executions?partition=5&limit=0").body);
  CHECK(empty["executions"].Size() == 0);
  // A partition beyond the configured count is an empty page, not an error.
  auto beyond = client.get("/v1/executions?partition=200");
  REQUIRE(beyond.status == 200);
  CHECK(parse_json(beyond.body)["executions"].Size() == 0);
}

TEST_CASE("healthz and metrics") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto health = client.get("/healthz");
  REQUIRE(health.status == 200);
  CHECK(health.body == R"({"status":"ok"})");
  client.post("/v1/executions", create_body(execution_id::mint(0).value, 0));
  client.get("/v1/executions/nope");

  auto metrics = client.get("/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.header("content-type").find("text/plain") == 0);
  CHECK(metrics.body.find("ff_http_requests_total") != std::string::npos);
  CHECK(metrics.body.find(R"(path="/v1/executions")") != std::string::npos);
  CHECK(metrics.body.find(R"(status="400")") != std::string::npos);
  CHECK(metrics.body.find("ff_backend_call_duration_seconds") != std::string::npos);
  CHECK(metrics.body.find(R"(op="ff_create_execution")") != std::string::npos);
}
