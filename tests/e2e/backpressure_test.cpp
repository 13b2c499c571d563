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

TEST_CASE("scanners keep capacity of their own while the front door overloads a partition") {
  redis_server redis;
  auto env = node_env(redis, 1);
  env["FF_PARTITION_QUEUE_BOUND"] = "1";
  env["FF_HTTP_THREADS"] = "4";
  env["FF_LEASE_EXPIRY_INTERVAL_MS"] = "5";
  env["FF_DELAYED_PROMOTER_INTERVAL_MS"] = "5";
  node_process node(env);
  http_client probe("127.0.0.1", node.port());
  const std::string expiry_passes = R"(ff_scanner_cycle_total{scanner="expire_leases"})";
  const double passes_before = metric_value(probe, expiry_passes);

  // Writers keep the partition over its bound until the scanners have made
  // a good number of passes under that load (or the writers give up).
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  std::vector<std::thread> writers;
  for (int c = 0; c < 12; ++c) {
    writers.emplace_back([&] {
      http_client client("127.0.0.1", node.port());
      for (int i = 0; i < 2000 && !stop; ++i)
        if (client.post("/v1/executions", create_body({}, 0)).status == 429) ++refused;
    });
  }
  bool enough_passes = eventually(
    [&] { return metric_value(probe, expiry_passes) >= passes_before + 20; },
    std::chrono::seconds(30));
  stop = true;
  for (auto& t : writers) t.join();

  auto metrics = probe.get("/metrics").body;
  REQUIRE(enough_passes);
  // The front door was refused: the partition really was over its bound...
  CHECK(refused > 0);
  CHECK(metric_value(metrics, R"(ff_queue_rejected_total{pool="partition"})") > 0);
  // ...and not one scanner batch was.
  CHECK(metric_value(metrics, R"(ff_queue_rejected_total{pool="partition_background"})") == 0);
  CHECK(metric_value(metrics, R"(ff_scanner_errors_total{scanner="expire_leases"})") == 0);
  CHECK(metric_value(metrics, R"(ff_scanner_errors_total{scanner="promote_delayed"})") == 0);
}
