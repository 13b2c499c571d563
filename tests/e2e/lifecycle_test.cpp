// Boot, restart, shutdown and dev mode of the node process.

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/ff-e2e-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  REQUIRE(mkdtemp(buf.data()) != nullptr);
  return buf.data();
}

std::size_t line_count(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

} // namespace

TEST_CASE("a restarted node keeps every created execution") {
  redis_server redis;
  std::vector<std::string> ids;
  {
    node_process node(node_env(redis));
    http_client client("127.0.0.1", node.port());
    for (int i = 0; i < 20; ++i) {
      auto res = client.post("/v1/executions", create_body("", 0));
      REQUIRE(res.status == 201);
      ids.emplace_back(parse_json(res.body)["Created"]["execution_id"].GetString());
    }
    CHECK(node.stop() == 0); // graceful shutdown exits 0
  }
  // The store restarts too (AOF), and a new node comes up on it.
  redis.restart();
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  for (const auto& id : ids) {
    CAPTURE(id);
    CHECK(client.get(exec_path(id, "/state")).body == "\"waiting\"");
  }
  CHECK(count_all(client, 8) == ids.size());
}

TEST_CASE("invalid configuration stops the node with one line naming the variable") {
  redis_server redis;
  struct bad { const char* var; const char* value; };
  const bad cases[] = {
    {"FF_FLOW_PARTITIONS", "0"},
    {"FF_FLOW_PARTITIONS", "70000"},
    {"FF_PORT", "not-a-port"},
    {"FF_LISTEN_ADDR", "nowhere"},
    {"FF_BACKEND", "mysql"},
    {"FF_LANES", " , "},
    {"FF_WAITPOINT_HMAC_SECRET", "abc"},
    {"FF_LEASE_EXPIRY_INTERVAL_MS", "-5"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.var);
    auto env = node_env(redis);
    env[c.var] = c.value;
    auto r = run_node_to_exit(env, {});
    CHECK(r.exit_code == 1);
    CHECK(r.output.find(std::string("invalid value for ") + c.var) != std::string::npos);
    CHECK(line_count(r.output) == 1);
  }
  SUBCASE("the HMAC secret is required outside dev mode") {
    auto env = node_env(redis);
    env.erase("FF_WAITPOINT_HMAC_SECRET");
    auto r = run_node_to_exit(env, {});
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("FF_WAITPOINT_HMAC_SECRET") != std::string::npos);
  }
  SUBCASE("a public listen address needs a token") {
    auto env = node_env(redis);
    env["FF_LISTEN_ADDR"] = "0.0.0.0:" + std::to_string(free_loopback_port());
    auto r = run_node_to_exit(env, {});
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("FF_API_TOKEN") != std::string::npos);
    // ... unless unauthenticated access is asked for explicitly.
    env["FF_ALLOW_UNAUTHENTICATED"] = "1";
    node_process open_node(env);
    CHECK(open_node.stop() == 0);
  }
  SUBCASE("secrets are never printed") {
    auto env = node_env(redis);
    env["FF_API_TOKEN"] = "tok-visible-nowhere";
    auto r = run_node_to_exit(env, {"--print-config"});
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("FF_FLOW_PARTITIONS=8") != std::string::npos);
    CHECK(r.output.find("tok-visible-nowhere") == std::string::npos);
    CHECK(r.output.find(test_hmac_secret) == std::string::npos);
  }
  SUBCASE("TLS and cluster mode are refused, not ignored") {
    for (const char* var : {"FF_TLS", "FF_CLUSTER"}) {
      CAPTURE(var);
      auto env = node_env(redis);
      env[var] = "1";
      auto r = run_node_to_exit(env, {});
      CHECK(r.exit_code == 1);
      CHECK(r.output.find(std::string(var) + " is not supported") != std::string::npos);
    }
  }
  SUBCASE("help") {
    auto r = run_node_to_exit({}, {"--help"});
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("--dev") != std::string::npos);
  }
}

TEST_CASE("boot refuses a partition count that differs from the stored one") {
  redis_server redis;
  {
    node_process node(node_env(redis, 8));
    CHECK(node.stop() == 0);
  }
  auto r = run_node_to_exit(node_env(redis, 16), {});
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("partition") != std::string::npos);
  CHECK(r.output.find("16") != std::string::npos);
  // The original count still boots.
  node_process again(node_env(redis, 8));
  CHECK(again.stop() == 0);
}

TEST_CASE("boot fails clearly when the store is unreachable") {
  auto env = std::map<std::string, std::string>{
    {"FF_HOST", "127.0.0.1"},
    {"FF_PORT", std::to_string(free_loopback_port())},
    {"FF_WAITPOINT_HMAC_SECRET", test_hmac_secret},
  };
  auto r = run_node_to_exit(env, {});
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("backend") != std::string::npos);
}

TEST_CASE("dev mode runs a private store and keeps its data across restarts") {
  auto dir = make_temp_dir();
  std::map<std::string, std::string> env = {{"FF_DATA_DIR", dir}, {"FF_LOG_LEVEL", "warn"}};
  std::string id;
  std::string secret;
  {
    node_process node(env, {"--dev"});
    http_client client("127.0.0.1", node.port());
    auto res = client.post("/v1/executions", create_body("", 0));
    REQUIRE(res.status == 201);
    id = parse_json(res.body)["Created"]["execution_id"].GetString();
    CHECK(node.stop() == 0);
    std::ifstream in(dir + "/waitpoint_hmac_secret");
    in >> secret;
    CHECK(secret.size() == 64);
    auto perms = std::filesystem::status(dir + "/waitpoint_hmac_secret").permissions();
    CHECK((perms & std::filesystem::perms::group_read) == std::filesystem::perms::none);
    CHECK((perms & std::filesystem::perms::others_read) == std::filesystem::perms::none);
  }
  {
    node_process node(env, {"--dev"});
    http_client client("127.0.0.1", node.port());
    CHECK(client.get(exec_path(id, "/state")).body == "\"waiting\"");
    CHECK(node.stop() == 0);
    std::ifstream in(dir + "/waitpoint_hmac_secret");
    std::string again;
    in >> again;
    CHECK(again == secret);
  }
  std::filesystem::remove_all(dir);
}
