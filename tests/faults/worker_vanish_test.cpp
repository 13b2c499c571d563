// A worker that vanishes while holding a lease: nothing tells the node, so
// only the lease's expiry can give the work to someone else, and the
// vanished worker's fence must stay dead if it ever comes back.

#include <doctest/doctest.h>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("a vanished worker's execution is reclaimed by another, its late complete refused") {
  redis_server redis;
  auto env = node_env(redis);
  env["FF_LEASE_EXPIRY_INTERVAL_MS"] = "50";
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  held_lease vanished;
  {
    // Its own connection, dropped without a word: the worker process died.
    http_client doomed("127.0.0.1", node.port());
    vanished = create_and_acquire(doomed, 5, R"("lease_ttl_ms":1000)", "w-vanish");
    CHECK(vanished.attempt_type == "initial");
  }
  const auto id = vanished.execution_id;

  http_client rescuer("127.0.0.1", node.port());
  auto res = acquire(rescuer, "w-rescue", R"("wait_ms":8000)");
  REQUIRE_MESSAGE(res.status == 200, "the abandoned execution was not reclaimed within the wait");
  auto reclaim = parse_lease(res.body);
  CHECK(reclaim.execution_id == id);
  CHECK(reclaim.attempt_type == "reclaim");
  CHECK(reclaim.attempt_index == vanished.attempt_index + 1);
  CHECK(reclaim.lease_epoch > vanished.lease_epoch);

  auto done = rescuer.post(exec_path(id, "/complete"),
                           reclaim.fence(R"("result":"rescued","result_encoding":"utf8")"));
  REQUIRE(done.status == 200);

  // The vanished worker comes back (a new connection) and completes late.
  http_client ghost("127.0.0.1", node.port());
  auto late = ghost.post(exec_path(id, "/complete"),
                         vanished.fence(R"("result":"late","result_encoding":"utf8")"));
  CHECK(late.status == 409);
  CHECK(ghost.post(exec_path(id, "/lease/renew"), vanished.fence()).status == 409);
  CHECK(client.get(exec_path(id, "/result")).body == "rescued");
  auto info = parse_json(client.get(exec_path(id)).body);
  CHECK(json_string(info, "public_state") == "completed");
  CHECK(info["current_attempt_index"].GetUint() == reclaim.attempt_index);
}
