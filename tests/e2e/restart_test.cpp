// A node restart on the same store: the lanes' ready sets live in memory
// only, so a new node must rebuild them at boot from the store.

#include <doctest/doctest.h>

#include <set>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("restart: work created before the restart is acquired from the new node") {
  redis_server redis;
  auto env = node_env(redis);
  // With the index reconciler off, only the boot rebuild can report the
  // old work to the lane.
  env["FF_INDEX_RECONCILER_INTERVAL_S"] = "0";
  std::set<std::string> created;
  {
    node_process before(env);
    http_client client("127.0.0.1", before.port());
    for (std::uint16_t p : {1, 4, 6}) created.insert(create_execution(client, p));
    CHECK(before.stop() == 0);
  }

  node_process after(env);
  http_client client("127.0.0.1", after.port());
  std::set<std::string> acquired;
  for (std::size_t i = 0; i < created.size(); ++i) {
    // A long poll: whether the rebuild lands before or after this call,
    // the claim is served by it (nothing else reports this work).
    auto res = acquire(client, "w", R"("wait_ms":5000)");
    REQUIRE_MESSAGE(res.status == 200, "work from before the restart was not handed out");
    auto lease = parse_lease(res.body);
    CHECK(lease.attempt_type == "initial");
    acquired.insert(lease.execution_id);
  }
  CHECK(acquired == created);
  CHECK(acquire(client, "w").status == 204);
}

TEST_CASE("restart: work in a lane outside FF_LANES is acquired from the new node") {
  redis_server redis;
  auto env = node_env(redis);
  env["FF_INDEX_RECONCILER_INTERVAL_S"] = "0";
  const std::string acquire_other =
      R"({"lane_id":"other","worker_instance_id":"w-1","wait_ms":3000})";
  std::string id;
  {
    node_process before(env);
    http_client client("127.0.0.1", before.port());
    id = create_execution(client, 3, R"("lane_id":"other")");
    CHECK(before.stop() == 0);
  }

  node_process after(env);
  http_client client("127.0.0.1", after.port());
  auto res = client.post("/v1/workers/w/acquire", acquire_other);
  REQUIRE_MESSAGE(res.status == 200, "work of a lane the new node had not seen yet was not handed out");
  CHECK(parse_lease(res.body).execution_id == id);
}
