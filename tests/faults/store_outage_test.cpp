// The store goes away under a running node: killed (with AOF `always`) or
// frozen (SIGSTOP). The node answers 503 with Retry-After while the store
// cannot be reached, answers /healthz at once, reconnects by itself, and
// loses nothing it acknowledged.

#include <doctest/doctest.h>

#include <csignal>
#include <future>
#include <memory>
#include <thread>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

constexpr std::uint16_t partitions = 4;

std::vector<std::string> create_some(http_client& client, int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i)
    ids.push_back(create_execution(client, static_cast<std::uint16_t>(i % partitions)));
  return ids;
}

bool is_store_unavailable(const http_response& r) {
  if (r.status != 503 || r.header("retry-after") != "1") return false;
  auto doc = parse_json(r.body);
  return doc.IsObject() && doc.HasMember("kind") && doc["kind"].IsString() &&
         std::string(doc["kind"].GetString()) == "unavailable" && doc.HasMember("retryable") &&
         doc["retryable"].IsBool() && doc["retryable"].GetBool();
}

// Runs `n` GETs of `target` at once, each on its own connection, and
// returns their statuses (0: no answer within `limit`). The client threads
// are detached so a hung request cannot hang the test.
std::vector<unsigned> concurrent_gets(std::uint16_t port, const std::string& target, int n,
                                      std::chrono::seconds limit) {
  struct shared {
    std::mutex mu;
    std::vector<unsigned> statuses;
  };
  auto state = std::make_shared<shared>();
  for (int i = 0; i < n; ++i) {
    std::thread([state, port, target] {
      unsigned status = 0;
      try {
        http_client client("127.0.0.1", port);
        status = client.get(target).status;
      } catch (const std::exception&) {
        status = 1; // connection failure: an answer, but a wrong one
      }
      std::lock_guard<std::mutex> lock(state->mu);
      state->statuses.push_back(status);
    }).detach();
  }
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(state->mu);
      if (state->statuses.size() == static_cast<std::size_t>(n)) return state->statuses;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::lock_guard<std::mutex> lock(state->mu);
  auto out = state->statuses;
  out.resize(static_cast<std::size_t>(n), 0);
  return out;
}

} // namespace

TEST_CASE("redis killed: 503 while it is down, reconnects by itself, nothing acknowledged lost") {
  redis_server redis({"--appendfsync", "always"});
  node_process node(node_env(redis, partitions));
  http_client client("127.0.0.1", node.port());
  auto acknowledged = create_some(client, 40);

  redis.kill_now();
  REQUIRE(eventually([&] { return client.get("/healthz").status == 503; }));
  CHECK(is_store_unavailable(client.get("/healthz")));
  // Every route that needs the store says so the same way.
  CHECK(is_store_unavailable(client.post("/v1/executions", create_body({}, 0))));
  CHECK(is_store_unavailable(client.get(exec_path(acknowledged.front()))));
  CHECK(is_store_unavailable(acquire(client, "w-down")));

  redis.start();
  REQUIRE(eventually([&] { return client.get("/healthz").status == 200; }));
  for (const auto& id : acknowledged) CHECK(state_of(client, id) == "waiting");
  // And the node works again, without a restart.
  auto after = create_execution(client, 1);
  CHECK(state_of(client, after) == "waiting");
  auto lease = acquire(client, "w-up");
  CHECK(lease.status == 200);
}

TEST_CASE("redis frozen (SIGSTOP): queued calls fail fast, /healthz answers, and it recovers") {
  redis_server redis;
  auto env = node_env(redis, partitions);
  // A store call may wait far longer than the clients below will: only
  // failing fast can answer them in time.
  env["FF_STORE_COMMAND_TIMEOUT_MS"] = "120000";
  env["FF_REQUEST_TIMEOUT_MS"] = "120000";
  node_process node(env);
  http_client client("127.0.0.1", node.port());
  auto acknowledged = create_some(client, 20);

  redis.signal(SIGSTOP);
  // Sent at once, before the node can know: these queue behind connections
  // that will never answer. Every one still gets its 503.
  auto statuses = concurrent_gets(node.port(), exec_path(acknowledged.front()), 16,
                                  std::chrono::seconds(30));
  int answered_503 = 0;
  for (auto s : statuses) answered_503 += s == 503;
  CHECK(answered_503 == 16);
  // /healthz answers from the prober's last word without asking the store.
  REQUIRE(eventually([&] { return client.get("/healthz").status == 503; },
                     std::chrono::seconds(10)));
  CHECK(is_store_unavailable(client.get("/healthz")));

  redis.signal(SIGCONT);
  REQUIRE(eventually([&] { return client.get("/healthz").status == 200; },
                     std::chrono::seconds(10)));
  for (const auto& id : acknowledged) CHECK(state_of(client, id) == "waiting");
  CHECK(client.post("/v1/executions", create_body({}, 2)).status == 201);
}
