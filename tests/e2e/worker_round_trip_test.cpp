// One round trip per task for a worker (our extensions): complete and fail
// with `next`, and acquire with max_tasks, through a real node on a real
// redis-server.

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

const std::string next_of_w =
    R"("next":{"worker_id":"w","worker_instance_id":"w-1","lane_id":"default")";

std::vector<held_lease> leases_in(const rapidjson::Value& array) {
  std::vector<held_lease> out;
  for (auto& l : array.GetArray()) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    l.Accept(w);
    out.push_back(parse_lease(buf.GetString()));
  }
  return out;
}

} // namespace

TEST_CASE("complete with next answers the outcome and the worker's next lease") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto first = create_and_acquire(client, 1);
  auto second = create_execution(client, 2);

  auto res = client.post(exec_path(first.execution_id, "/complete"),
                         first.fence(R"("result":"aGk=",)" + next_of_w + "}"));
  REQUIRE_MESSAGE(res.status == 200, res.body);
  auto doc = parse_json(res.body);
  CHECK(std::string(doc["outcome"].GetString()) == "completed");
  auto next = leases_in(doc["next"]);
  REQUIRE(next.size() == 1);
  CHECK(next[0].execution_id == second);
  CHECK_FALSE(doc.HasMember("next_error"));
  CHECK(state_of(client, first.execution_id) == "completed");
  CHECK(client.get(exec_path(first.execution_id, "/result")).body == "hi");
  CHECK(state_of(client, second) == "active");

  // Nothing left: the next long-polls for wait_ms, then answers an empty list.
  auto idle = client.post(exec_path(second, "/complete"),
                          next[0].fence(next_of_w + R"(,"wait_ms":50})"));
  REQUIRE(idle.status == 200);
  auto idle_doc = parse_json(idle.body);
  CHECK(idle_doc["next"].IsArray());
  CHECK(idle_doc["next"].Empty());

  // A parked next is woken by a create, like a parked acquire.
  auto third = create_execution(client, 3);
  auto lease3 = parse_lease(acquire(client, "w").body);
  REQUIRE(lease3.execution_id == third);
  std::string fourth;
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    http_client other("127.0.0.1", node.port());
    fourth = create_execution(other, 4);
  });
  auto woken = client.post(exec_path(third, "/complete"),
                           lease3.fence(next_of_w + R"(,"wait_ms":5000})"));
  producer.join();
  REQUIRE(woken.status == 200);
  auto woken_next = leases_in(parse_json(woken.body)["next"]);
  REQUIRE(woken_next.size() == 1);
  CHECK(woken_next[0].execution_id == fourth);
}

TEST_CASE("fail with next, and a next with max_tasks") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto lease = create_and_acquire(client, 0);
  std::set<std::string> queued;
  for (std::uint16_t p = 1; p <= 3; ++p) queued.insert(create_execution(client, p));

  auto res = client.post(
      exec_path(lease.execution_id, "/fail"),
      lease.fence(R"("error":{"code":"boom","message":"no"},"retryable":false,)" + next_of_w +
                  R"(,"max_tasks":5})"));
  REQUIRE_MESSAGE(res.status == 200, res.body);
  auto doc = parse_json(res.body);
  CHECK(std::string(doc["outcome"].GetString()) == "failed");
  auto next = leases_in(doc["next"]);
  std::set<std::string> got;
  for (auto& l : next) got.insert(l.execution_id);
  CHECK(got == queued);
  CHECK(state_of(client, lease.execution_id) == "failed");
}

TEST_CASE("acquire with max_tasks answers a list of up to that many leases") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  std::set<std::string> ids;
  for (std::uint16_t p = 0; p < 5; ++p) ids.insert(create_execution(client, p));

  auto three = acquire(client, "w", R"("max_tasks":3)");
  REQUIRE(three.status == 200);
  auto first = leases_in(parse_json(three.body)["leases"]);
  CHECK(first.size() == 3);
  auto rest = acquire(client, "w", R"("max_tasks":100)");
  REQUIRE(rest.status == 200);
  auto second = leases_in(parse_json(rest.body)["leases"]);
  CHECK(second.size() == 2);
  std::set<std::string> got;
  for (auto& l : first) got.insert(l.execution_id);
  for (auto& l : second) got.insert(l.execution_id);
  CHECK(got == ids);
  for (const auto& id : ids) CHECK(state_of(client, id) == "active");

  // Nothing ready: an empty list, not 204, once the wait is over.
  auto none = acquire(client, "w", R"("max_tasks":2,"wait_ms":20)");
  CHECK(none.status == 200);
  CHECK(parse_json(none.body)["leases"].Empty());
}

TEST_CASE("bad next or max_tasks is refused before anything changes") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto lease = create_and_acquire(client, 1);
  auto waiting = create_execution(client, 2);
  const auto complete = exec_path(lease.execution_id, "/complete");

  auto not_object = client.post(complete, lease.fence(R"("next":7)"));
  CHECK(not_object.status == 422);
  auto no_worker = client.post(
      complete, lease.fence(R"("next":{"worker_instance_id":"w-1","lane_id":"default"})"));
  CHECK(no_worker.status == 422);
  CHECK(std::string(parse_json(no_worker.body)["detail"].GetString()).find("next.worker_id") !=
        std::string::npos);
  auto bad_lane = client.post(
      complete,
      lease.fence(R"("next":{"worker_id":"w","worker_instance_id":"w-1","lane_id":""})"));
  CHECK(bad_lane.status == 400);
  for (const char* n : {"0", "101"}) {
    auto bad_max = client.post(complete, lease.fence(next_of_w + R"(,"max_tasks":)" + n + "}"));
    CHECK(bad_max.status == 400);
    CHECK(parse_json(bad_max.body)["error"].GetString() ==
          std::string("next.max_tasks: expected 1 to 100"));
  }
  auto long_wait = client.post(complete, lease.fence(next_of_w + R"(,"wait_ms":30001})"));
  CHECK(long_wait.status == 400);
  // None of these completed anything or took the waiting execution.
  CHECK(state_of(client, lease.execution_id) == "active");
  CHECK(state_of(client, waiting) == "waiting");

  CHECK(acquire(client, "w", R"("max_tasks":0)").status == 400);
  CHECK(acquire(client, "w", R"("max_tasks":101)").status == 400);
  CHECK(acquire(client, "w", R"("max_tasks":"3")").status == 422);
  CHECK(state_of(client, waiting) == "waiting");
}
