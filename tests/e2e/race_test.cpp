// Races between real clients: threads with a connection each, released
// together against one node. The tests assert outcomes and counts only; a
// race either side may win, and each rule below holds whichever does.

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

// Of two acquires for one execution, exactly one got it (the other found
// nothing: 204); returns the winner's lease.
held_lease one_winner(const std::vector<http_response>& answers) {
  std::vector<unsigned> statuses{answers[0].status, answers[1].status};
  std::sort(statuses.begin(), statuses.end());
  REQUIRE(statuses == std::vector<unsigned>{200, 204});
  return parse_lease((answers[0].status == 200 ? answers[0] : answers[1]).body);
}

} // namespace

TEST_CASE("race: two workers acquire the lane's only execution, exactly one gets it") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  SUBCASE("both ask at once") {
    for (int round = 0; round < 10; ++round) {
      CAPTURE(round);
      auto id = create_execution(client, static_cast<std::uint16_t>(round % 8));
      auto answers = run_together(node.port(), 2, [](http_client& c, std::size_t i) {
        return acquire(c, "w" + std::to_string(i));
      });
      CHECK(one_winner(answers).execution_id == id);
    }
  }
  SUBCASE("both parked, woken by the same report") {
    auto parked = std::async(std::launch::async, [&] {
      return run_together(node.port(), 2, [](http_client& c, std::size_t i) {
        return acquire(c, "w" + std::to_string(i), R"("wait_ms":3000)");
      });
    });
    REQUIRE_MESSAGE(parked_claims_reach(client, 2), "the two acquires never parked");
    auto id = create_execution(client, 3);
    CHECK(one_winner(parked.get()).execution_id == id);
  }
}

TEST_CASE("race: the same complete twice at once has one outcome, both answer it") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  // decisions.md §5: a complete repeated under the same fence answers the
  // stored outcome. The first to reach the store completes; the other finds
  // the execution terminal under its own fence and gets the same 200.
  for (int round = 0; round < 10; ++round) {
    CAPTURE(round);
    auto lease = create_and_acquire(client, static_cast<std::uint16_t>(round % 8));
    const auto id = lease.execution_id;
    auto body = lease.fence(R"("result":"b25jZQ==")");
    auto answers = run_together(node.port(), 2, [&](http_client& c, std::size_t) {
      return c.post(exec_path(id, "/complete"), body);
    });
    CHECK(answers[0].status == 200);
    CHECK(answers[1].status == 200);
    CHECK(answers[0].body == R"({"outcome":"completed"})");
    CHECK(answers[1].body == answers[0].body);
    CHECK(state_of(client, id) == "completed");
    CHECK(client.get(exec_path(id, "/result")).body == "once");
  }

  // The same fence with different results: one result is stored, and the
  // later call is answered as a retry of the first (its result is dropped).
  for (int round = 0; round < 10; ++round) {
    CAPTURE(round);
    auto lease = create_and_acquire(client, static_cast<std::uint16_t>(round % 8));
    const auto id = lease.execution_id;
    const std::vector<std::string> results{"first", "second"};
    auto answers = run_together(node.port(), 2, [&](http_client& c, std::size_t i) {
      return c.post(exec_path(id, "/complete"),
                    lease.fence(R"("result":")" + results[i] + R"(","result_encoding":"utf8")"));
    });
    CHECK(answers[0].status == 200);
    CHECK(answers[1].status == 200);
    CHECK(answers[1].body == answers[0].body);
    auto stored = client.get(exec_path(id, "/result")).body;
    CHECK((stored == results[0] || stored == results[1]));
  }
}

TEST_CASE("race: a complete after lease expiry and reclaim loses to the reclaimer") {
  redis_server redis;
  auto env = node_env(redis);
  env["FF_LEASE_EXPIRY_INTERVAL_MS"] = "50";
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  constexpr int executions = 5;
  std::vector<held_lease> first;
  for (int i = 0; i < executions; ++i)
    first.push_back(create_and_acquire(client, static_cast<std::uint16_t>(i), R"("lease_ttl_ms":1000)", "w1"));
  // Each lease expires unrenewed; the second worker gets each execution back
  // as a reclaim, which the store allows only once the lease has expired.
  std::map<std::string, held_lease> second;
  for (int i = 0; i < executions; ++i) {
    auto res = acquire(client, "w2", R"("wait_ms":5000)");
    REQUIRE_MESSAGE(res.status == 200, "an expired lease was not reclaimed within the wait");
    auto lease = parse_lease(res.body);
    CHECK(lease.attempt_type == "reclaim");
    CHECK(lease.attempt_index == 1);
    second[lease.execution_id] = lease;
  }
  REQUIRE(second.size() == executions);

  // Both holders complete at once; only the reclaimer's fence is current.
  for (const auto& old : first) {
    CAPTURE(old.execution_id);
    REQUIRE(second.count(old.execution_id));
    const auto& current = second[old.execution_id];
    auto answers = run_together(node.port(), 2, [&](http_client& c, std::size_t i) {
      const auto& lease = i == 0 ? old : current;
      return c.post(exec_path(lease.execution_id, "/complete"),
                    lease.fence(i == 0 ? R"("result":"stale","result_encoding":"utf8")"
                                       : R"("result":"fresh","result_encoding":"utf8")"));
    });
    CHECK(answers[0].status == 409);
    CHECK(answers[1].status == 200);
    CHECK(client.get(exec_path(old.execution_id, "/result")).body == "fresh");
    auto info = parse_json(client.get(exec_path(old.execution_id)).body);
    CHECK(json_string(info, "public_state") == "completed");
    CHECK(info["current_attempt_index"].GetUint() == 1);
  }
}

TEST_CASE("race: 50 parked claims woken by 50 creates each get a different execution") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  constexpr std::size_t claims = 50;
  auto parked = std::async(std::launch::async, [&] {
    return run_together(node.port(), claims, [](http_client& c, std::size_t i) {
      return acquire(c, "w" + std::to_string(i), R"("wait_ms":20000)");
    });
  });
  REQUIRE_MESSAGE(parked_claims_reach(client, claims), "not every claim parked");

  // Creates from several threads, so reports reach the lane concurrently.
  auto created = run_together(node.port(), 5, [](http_client& c, std::size_t t) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < claims / 5; ++i)
      ids.push_back(create_execution(c, static_cast<std::uint16_t>((t + i) % 8)));
    return ids;
  });
  std::set<std::string> expected;
  for (auto& ids : created) expected.insert(ids.begin(), ids.end());
  REQUIRE(expected.size() == claims);

  std::set<std::string> handed_out;
  std::size_t leases = 0;
  for (auto& res : parked.get()) {
    if (res.status != 200) {
      FAIL_CHECK("a parked claim got " << res.status << " " << res.body);
      continue;
    }
    ++leases;
    handed_out.insert(parse_lease(res.body).execution_id);
  }
  CHECK(leases == claims);
  CHECK(handed_out.size() == claims); // no execution handed out twice
  CHECK(handed_out == expected);      // and every one handed out
  CHECK(parked_claims_reach(client, 0));
  CHECK(acquire(client, "late").status == 204);
}

TEST_CASE("race: a complete that finds its lease expired before the scanner did hands the work on") {
  redis_server redis;
  auto env = node_env(redis);
  // Neither the expiry scanner nor the reconciler runs: the late complete
  // is what finds the lease expired, and nothing else can wake the lane.
  env["FF_LEASE_EXPIRY_INTERVAL_MS"] = "0";
  env["FF_INDEX_RECONCILER_INTERVAL_S"] = "0";
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  auto late = create_and_acquire(client, 2, R"("lease_ttl_ms":1000)", "w1");
  const auto id = late.execution_id;
  REQUIRE(eventually([&] { return now_ms() > late.lease_expires_at + 20; }));
  // The store marks the lease expired and requeues the execution for
  // reclaim as it refuses the complete.
  CHECK(client.post(exec_path(id, "/complete"), late.fence()).status == 409);
  auto res = acquire(client, "w2", R"("wait_ms":3000)");
  REQUIRE_MESSAGE(res.status == 200, "the requeued execution was not handed out (state "
                                         << state_of(client, id) << ")");
  auto reclaim = parse_lease(res.body);
  CHECK(reclaim.execution_id == id);
  CHECK(reclaim.attempt_type == "reclaim");
  CHECK(client.post(exec_path(id, "/complete"), reclaim.fence()).status == 200);
}
