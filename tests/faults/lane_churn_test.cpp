// A client that names a new lane on every request cannot grow the node:
// lanes beyond FF_MAX_LANES are refused with 429, lanes with no work and no
// waiting claims retire after FF_LANE_IDLE_TIMEOUT_MS, and the node's
// memory stays flat however many lanes it has ever seen.

#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

// Resident set of a process in kB (VmRSS of /proc/<pid>/status).
long rss_kb(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

struct churn_counts {
  int no_work = 0;   // 204
  int refused = 0;   // 429 resource_exhausted
  int other = 0;
};

// `n` acquires, each on a lane never used before, from four clients.
churn_counts churn(std::uint16_t port, const std::string& prefix, int n) {
  std::atomic<int> no_work{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      http_client client("127.0.0.1", port);
      for (int i = t; i < n; i += 4) {
        auto lane = prefix + std::to_string(i);
        auto r = client.post("/v1/workers/w/acquire",
                             R"({"lane_id":")" + lane + R"(","worker_instance_id":"w-1"})");
        if (r.status == 204) ++no_work;
        else if (r.status == 429 && r.header("retry-after") == "1" &&
                 r.body.find("resource_exhausted") != std::string::npos)
          ++refused;
        else ++other;
      }
    });
  }
  for (auto& th : threads) th.join();
  return {no_work.load(), refused.load(), other.load()};
}

} // namespace

TEST_CASE("lane churn: bounded lanes, idle ones retire, memory stays flat") {
  redis_server redis;
  auto env = node_env(redis, 4);
  env["FF_MAX_LANES"] = "40";
  env["FF_LANE_IDLE_TIMEOUT_MS"] = "2000";
  node_process node(env);
  http_client client("127.0.0.1", node.port());
  const std::string lanes_served = "ff_lanes_served";
  REQUIRE(metric_value(client, lanes_served) == 1); // FF_LANES: default

  // Far more new lanes than the bound, faster than they can go idle.
  auto first = churn(node.port(), "churn-a-", 600);
  CHECK(first.other == 0);
  CHECK(first.refused > 0);
  CHECK(first.no_work + first.refused == 600);
  CHECK(metric_value(client, lanes_served) <= 40);
  CHECK(metric_value(client, R"(ff_queue_rejected_total{pool="lanes"})") == first.refused);

  // Idle lanes retire; the configured one stays.
  REQUIRE(eventually([&] { return metric_value(client, lanes_served) == 1; },
                     std::chrono::seconds(20)));
  const long rss_after_first = rss_kb(node.pid());
  REQUIRE(rss_after_first > 0);

  // Three more rounds of new lanes: no growth with lanes ever seen.
  for (int round = 0; round < 3; ++round) {
    auto more = churn(node.port(), "churn-" + std::to_string(round) + "-", 600);
    CHECK(more.other == 0);
    REQUIRE(eventually([&] { return metric_value(client, lanes_served) == 1; },
                       std::chrono::seconds(20)));
  }
  const long rss_after_all = rss_kb(node.pid());
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer keeps freed memory in quarantine (256 MB), so the
  // node's RSS grows with any churn; the bound on lanes above still holds.
  MESSAGE("RSS not compared under AddressSanitizer: " << rss_after_first << " -> "
                                                      << rss_after_all << " kB");
#else
  CHECK(rss_after_all < rss_after_first + 8 * 1024);
#endif
}

TEST_CASE("a retired lane comes back with the next work or claim") {
  redis_server redis;
  auto env = node_env(redis, 4);
  env["FF_LANE_IDLE_TIMEOUT_MS"] = "100";
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  auto lane_body = [](const std::string& extra) {
    return R"({"lane_id":"transient","worker_instance_id":"w-1")" + extra + "}";
  };
  auto first = create_execution(client, 0, R"("lane_id":"transient")");
  auto got = client.post("/v1/workers/w/acquire", lane_body(""));
  REQUIRE(got.status == 200);
  CHECK(parse_lease(got.body).execution_id == first);
  REQUIRE(eventually([&] { return metric_value(client, "ff_lanes_served") == 1; }));

  // Work created while the lane is retired reaches a claim at once.
  auto second = create_execution(client, 2, R"("lane_id":"transient")");
  got = client.post("/v1/workers/w/acquire", lane_body(""));
  REQUIRE(got.status == 200);
  CHECK(parse_lease(got.body).execution_id == second);
  REQUIRE(eventually([&] { return metric_value(client, "ff_lanes_served") == 1; }));

  // A claim that parks on a retired lane is woken by the next create.
  std::string third;
  bool lane_came_back = false;
  std::thread creator([&] {
    http_client c2("127.0.0.1", node.port());
    lane_came_back = eventually([&] { return metric_value(c2, "ff_lanes_served") == 2; });
    third = create_execution(c2, 3, R"("lane_id":"transient")");
  });
  got = client.post("/v1/workers/w/acquire", lane_body(R"(,"wait_ms":10000)"));
  creator.join();
  CHECK(lane_came_back);
  REQUIRE(got.status == 200);
  CHECK(parse_lease(got.body).execution_id == third);

  // A retired lane leaves no series behind: lanes that come and go do not
  // grow the metrics registry.
  const std::string parked_series = R"(ff_lane_parked_claims{lane="transient"})";
  const std::string claim_series = R"(ff_claim_from_grant_duration_seconds_count{lane="transient"})";
  CHECK(client.get("/metrics").body.find(claim_series) != std::string::npos);
  REQUIRE(eventually([&] { return metric_value(client, "ff_lanes_served") == 1; }));
  auto metrics = client.get("/metrics").body;
  CHECK(metrics.find(parked_series) == std::string::npos);
  CHECK(metrics.find(claim_series) == std::string::npos);
}
