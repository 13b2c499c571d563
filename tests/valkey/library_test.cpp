// The embedded library text and the pure pieces of the valkey backend
// (server version check, Redis error classification); no server needed.

#include <doctest/doctest.h>

#include <regex>

#include "backends/valkey/function_call.hpp"
#include "backends/valkey/keys.hpp"
#include "backends/valkey/server_info.hpp"
#include "backends/valkey/valkey_backend.hpp"

using namespace ff;

TEST_CASE("the embedded library carries its shebang and a content-derived version") {
  const std::string& version = flowfabric_library_version();
  const std::string& source = flowfabric_library_source();
  CHECK(std::regex_match(version, std::regex("[0-9]+\\.[0-9a-f]{8}")));
  CHECK(source.rfind("#!lua name=flowfabric\n", 0) == 0);
  CHECK(source.find("local FF_LIBRARY_VERSION = '" + version + "'") != std::string::npos);
  for (const char* fn : {"'ff_version'", "'ff_init_partition_config'", "'ff_create_execution'",
                         "'ff_get_execution'", "'ff_get_execution_state'",
                         "'ff_get_execution_result'", "'ff_list_executions'"})
    CHECK_MESSAGE(source.find(fn) != std::string::npos, fn);
}

TEST_CASE("check_server_info accepts Redis 7.0+ and Valkey 7.2+ only") {
  SUBCASE("redis 7.0") {
    auto id = check_server_info("# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n");
    REQUIRE(id.has_value());
    CHECK(id->product == "redis");
    CHECK(id->version == "7.0.15");
  }
  SUBCASE("redis 6.2 is refused with a message naming both versions") {
    auto id = check_server_info("# Server\r\nredis_version:6.2.14\r\n");
    REQUIRE_FALSE(id.has_value());
    CHECK(id.error().code == "unsupported_server");
    CHECK(id.error().text().find("6.2.14") != std::string::npos);
    CHECK(id.error().text().find("7.0") != std::string::npos);
  }
  SUBCASE("valkey_version wins over the compatibility redis_version") {
    auto id = check_server_info("redis_version:7.2.4\r\nvalkey_version:8.0.1\r\n");
    REQUIRE(id.has_value());
    CHECK(id->product == "valkey");
    CHECK(id->version == "8.0.1");
  }
  SUBCASE("valkey below 7.2 is refused") {
    auto id = check_server_info("redis_version:7.2.4\r\nvalkey_version:7.1.0\r\n");
    REQUIRE_FALSE(id.has_value());
    CHECK(id.error().text().find("valkey 7.1.0") != std::string::npos);
  }
  SUBCASE("double-digit minor versions compare numerically") {
    CHECK(check_server_info("redis_version:10.0.0\r\n").has_value());
  }
  SUBCASE("no version at all") {
    CHECK_FALSE(check_server_info("# Server\r\nos:Linux\r\n").has_value());
  }
}

TEST_CASE("Redis error replies map to transport-class errors or bugs") {
  auto busy = classify_redis_error_reply("ff_x", "BUSY Redis is busy running a script.");
  CHECK(busy.kind == error_kind::transport);
  CHECK(busy.code == "busy_loading");
  CHECK(busy.retryable);
  CHECK(busy.text().find("BUSY") != std::string::npos);

  auto loading = classify_redis_error_reply("ff_x", "LOADING Redis is loading the dataset");
  CHECK(loading.kind == error_kind::transport);
  CHECK(loading.code == "busy_loading");

  auto missing = classify_redis_error_reply("ff_x", "ERR Function not found");
  CHECK(missing.kind == error_kind::transport);
  CHECK(missing.code == "script_not_loaded");
  CHECK_FALSE(missing.retryable);

  auto cluster = classify_redis_error_reply("ff_x", "TRYAGAIN Multiple keys request");
  CHECK(cluster.kind == error_kind::transport);
  CHECK(cluster.code == "cluster");

  auto bug = classify_redis_error_reply("ff_x", "ERR user_function:12: attempt to index nil");
  CHECK(bug.kind == error_kind::internal);
  CHECK(bug.text().find("ff_x") != std::string::npos);
}

TEST_CASE("a lane's eligible index names its lane, and nothing else does") {
  namespace k = valkey_keys;
  for (std::string lane : {"default", "gpu:a100", "x}:lane:y", "a b"}) {
    auto key = k::lane_eligible_key("{fp:7}", lane);
    CHECK(k::lane_of_eligible_key(key) == lane);
  }
  CHECK(k::lane_of_eligible_key(k::lane_delayed_key("{fp:7}", "default")).empty());
  CHECK(k::lane_of_eligible_key("ff:idx:{fp:7}:all_executions").empty());
  CHECK(k::lane_of_eligible_key("other:{fp:7}:lane:default:eligible").empty());
}
