// Getting work: long polls, priority order, capabilities, and the scanners
// that make work eligible or end it (delays, deadlines, attempt timeouts).

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include <future>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;
using namespace std::chrono_literals;

TEST_CASE("long poll: a parked claim gets the execution created after it parked") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto parked = std::async(std::launch::async, [&] {
    http_client worker("127.0.0.1", node.port());
    return worker.post("/v1/workers/w1/claim",
                       R"({"lane_id":"default","worker_instance_id":"w1-1","grant_ttl_ms":5000,"wait_ms":10000})");
  });
  REQUIRE_MESSAGE(parked_claims_reach(client, 1), "the claim never parked");
  auto id = create_execution(client, 6);
  auto res = parked.get();
  REQUIRE(res.status == 200); // woken: the wait would have ended in 204
  CHECK(json_string(parse_json(res.body), "execution_id") == id);
  CHECK(parked_claims_reach(client, 0));

  // The same through acquire, with the work on another partition.
  auto waiting = std::async(std::launch::async, [&] {
    http_client worker("127.0.0.1", node.port());
    return acquire(worker, "w2", R"("wait_ms":10000)");
  });
  REQUIRE_MESSAGE(parked_claims_reach(client, 1), "the acquire never parked");
  auto second = create_execution(client, 1);
  auto leased = waiting.get();
  REQUIRE(leased.status == 200);
  CHECK(parse_lease(leased.body).execution_id == second);
  CHECK(parked_claims_reach(client, 0));
}

TEST_CASE("long poll without work answers 204 when the wait ends") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto start = std::chrono::steady_clock::now();
  auto none = acquire(client, "w", R"("wait_ms":500)");
  CHECK(none.status == 204);
  CHECK(none.body.empty());
  CHECK(elapsed_ms(start) >= 400);
  CHECK(parked_claims_reach(client, 0)); // the claim left the parked count when its wait ended
  auto grant = client.post("/v1/workers/w/claim",
                           R"({"lane_id":"default","worker_instance_id":"w-1","grant_ttl_ms":1000,"wait_ms":300})");
  CHECK(grant.status == 204);
  // Without wait_ms the answer is immediate.
  CHECK(acquire(client, "w").status == 204);
  // The connection is fine afterwards.
  CHECK(client.get("/healthz").status == 200);
}

TEST_CASE("priority order within a partition, and a priority change") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto low = create_execution(client, 2, R"("priority":1)");
  auto high = create_execution(client, 2, R"("priority":100)");
  auto mid = create_execution(client, 2, R"("priority":50)");
  // Creation order is kept at millisecond resolution: make sure the second
  // one of equal priority is created in a later millisecond.
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  auto mid_later = create_execution(client, 2, R"("priority":50)");
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) {
    auto res = acquire(client, "w");
    REQUIRE(res.status == 200);
    order.push_back(parse_lease(res.body).execution_id);
  }
  CHECK(order == std::vector<std::string>{high, mid, mid_later, low});

  auto a = create_execution(client, 4, R"("priority":5)");
  auto b = create_execution(client, 4, R"("priority":5)");
  REQUIRE(client.request("PUT", exec_path(b, "/priority"), R"({"new_priority":500})").status == 200);
  CHECK(parse_lease(acquire(client, "w").body).execution_id == b);
  CHECK(parse_lease(acquire(client, "w").body).execution_id == a);
}

TEST_CASE("capabilities: no work for a worker that lacks one, a capable worker gets it") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 3,
                             R"("policy":{"routing_requirements":{"required_capabilities":["gpu"]}})");
  CHECK(acquire(client, "cpu-worker", R"("capabilities":["cpu"])").status == 204);
  CHECK(acquire(client, "bare-worker").status == 204);
  CHECK(client.post("/v1/workers/cpu-worker/claim",
                    R"({"lane_id":"default","worker_instance_id":"c-1","grant_ttl_ms":5000,"capabilities":["cpu"]})")
            .status == 204);
  CHECK(state_of(client, id) != "active");

  auto capable = acquire(client, "gpu-worker", R"("capabilities":["gpu","cpu"],"wait_ms":3000)");
  REQUIRE(capable.status == 200);
  CHECK(parse_lease(capable.body).execution_id == id);
}

TEST_CASE("a delayed execution is promoted when due") {
  redis_server redis;
  auto env = node_env(redis);
  env["FF_DELAYED_PROMOTER_INTERVAL_MS"] = "100";
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  auto due = now_ms() + 400;
  auto id = execution_id::mint(5).value;
  auto created = client.post("/v1/executions", create_body(id, 5, R"("delay_until":)" + std::to_string(due)));
  REQUIRE(created.status == 201);
  // The store decided this at create, so it does not depend on speed.
  CHECK(json_string(parse_json(created.body)["Created"], "public_state") == "delayed");
  auto got = acquire_when_due(client, "w");
  CHECK((got.first_status == 204 || got.first_status == 200));
  CHECK(got.lease.execution_id == id);
  CHECK(got.granted_at >= due); // never handed out early, by the store's clock
}

TEST_CASE("execution deadline: waiting and running executions expire") {
  redis_server redis;
  auto env = node_env(redis);
  env["FF_EXECUTION_DEADLINE_INTERVAL_S"] = "1";
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  auto deadline = std::to_string(now_ms() + 300);
  auto running = create_execution(client, 1, R"("execution_deadline_at":)" + deadline);
  auto lease = parse_lease(acquire(client, "w").body);
  REQUIRE(lease.execution_id == running);
  auto waiting = create_execution(client, 2, R"("execution_deadline_at":)" + deadline);

  CHECK(eventually([&] { return state_of(client, running) == "expired"; }, 5s));
  CHECK(eventually([&] { return state_of(client, waiting) == "expired"; }, 5s));
  CHECK(client.post(exec_path(running, "/complete"), lease.fence()).status == 409);
  CHECK(client.post(exec_path(running, "/lease/renew"), lease.fence()).status == 409);
  CHECK(acquire(client, "w").status == 204);
}

TEST_CASE("attempt timeout ends the execution") {
  redis_server redis;
  auto env = node_env(redis);
  env["FF_ATTEMPT_TIMEOUT_INTERVAL_S"] = "1";
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 0, R"("policy":{"timeout_policy":{"attempt_timeout_ms":300}})");
  auto lease = parse_lease(acquire(client, "w").body);
  REQUIRE(lease.execution_id == id);
  CHECK(eventually([&] { return state_of(client, id) == "expired"; }, 5s));
  CHECK(client.post(exec_path(id, "/complete"), lease.fence()).status == 409);
  auto stream = parse_json(client.get(exec_path(id, "/attempts/0/stream")).body);
  CHECK(stream["count"].GetUint() == 0);
}

TEST_CASE("heartbeat registers, then refreshes") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  const std::string body =
      R"({"worker_instance_id":"pod-1","lanes":["default"],"capabilities":["gpu"],"ttl_ms":5000})";
  auto t0 = now_ms();
  auto first = client.post("/v1/workers/w1/heartbeat", body);
  REQUIRE(first.status == 200);
  auto f = parse_json(first.body);
  CHECK(json_string(f, "status") == "registered");
  CHECK(f["next_expiry_ms"].GetInt64() >= t0 + 4000);
  auto second = client.post("/v1/workers/w1/heartbeat", body);
  REQUIRE(second.status == 200);
  CHECK(json_string(parse_json(second.body), "status") == "refreshed");
}
