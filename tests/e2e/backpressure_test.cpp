// A partition actor with a tiny queue bound answers 429 instead of queueing
// without limit, and what it accepted is stored.

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("over the partition queue bound the caller gets 429") {
  redis_server redis;
  auto env = node_env(redis, 1);
  env["FF_PARTITION_QUEUE_BOUND"] = "1";
  env["FF_HTTP_THREADS"] = "4";
  node_process node(env);

  constexpr int clients = 16;
  constexpr int per_client = 25;
  std::atomic<int> created{0}, refused{0}, other{0};
  std::atomic<bool> refusal_well_formed{true};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      http_client client("127.0.0.1", node.port());
      for (int i = 0; i < per_client; ++i) {
        auto res = client.post("/v1/executions", create_body(execution_id::mint(0).value, 0));
        if (res.status == 201) {
          ++created;
        } else if (res.status == 429) {
          ++refused;
          auto doc = parse_json(res.body);
          if (res.header("retry-after").empty() || !doc.IsObject() || !doc.HasMember("kind") ||
              std::string(doc["kind"].GetString()) != "resource_exhausted" ||
              !doc["retryable"].GetBool())
            refusal_well_formed = false;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  CHECK(other == 0);
  CHECK(created + refused == clients * per_client);
  // 16 concurrent writers against a bound of one queued operation.
  CHECK(refused > 0);
  CHECK(refusal_well_formed);
  http_client client("127.0.0.1", node.port());
  // Exactly the acknowledged creates are stored.
  CHECK(list_partition(client, 0).size() == static_cast<std::size_t>(created.load()));
}
