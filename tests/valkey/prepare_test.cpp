// valkey_backend::prepare against a real redis-server: the function
// library (loaded, replaced, missing), the partition-count record and the
// lane registry as stored.

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/valkey/valkey_fixture.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("prepare loads the library once; a second prepare leaves it alone") {
  valkey_fixture fx(false);

  auto first = fx.backend->prepare(default_boot_options());
  REQUIRE_MESSAGE(first.has_value(), (first ? "" : first.error().text()));
  CHECK(first->library_loaded);
  CHECK(first->library_version == flowfabric_library_version());
  CHECK(first->server_version.rfind("7.", 0) == 0);
  CHECK(std::string(fx.backend->name()) == "valkey");

  auto loaded = fx.cmd({"FCALL", "ff_version", "0"});
  CHECK(loaded.str == flowfabric_library_version());

  // A fresh backend (as a restarted node would have) finds it in place.
  auto again = make_valkey_backend(options_for(fx.server))->prepare(default_boot_options());
  REQUIRE(again.has_value());
  CHECK_FALSE(again->library_loaded);
  CHECK(again->library_version == flowfabric_library_version());

  auto forced_opts = default_boot_options();
  forced_opts.force_library_reload = true;
  auto forced = fx.backend->prepare(forced_opts);
  REQUIRE(forced.has_value());
  CHECK(forced->library_loaded);
}

TEST_CASE("prepare replaces a library of another version") {
  valkey_fixture fx(false);
  fx.cmd({"FUNCTION", "LOAD",
          "#!lua name=flowfabric\n"
          "redis.register_function('ff_version', function() return '0.old' end)\n"});

  auto report = fx.backend->prepare(default_boot_options());
  REQUIRE(report.has_value());
  CHECK(report->library_loaded);
  CHECK(fx.cmd({"FCALL", "ff_version", "0"}).str == flowfabric_library_version());
}

TEST_CASE("operations before the library is loaded report script_not_loaded") {
  valkey_fixture fx(false);
  auto r = fx.backend->get_execution_state(execution_id::mint(1));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == error_kind::transport);
  CHECK(r.error().code == "script_not_loaded");
}

TEST_CASE("the partition record is written once and never overwritten") {
  valkey_fixture fx; // stored with the defaults 256 / 32 / 32
  CHECK(fx.cmd({"HGET", "ff:config:partitions", "num_flow_partitions"}).str == "256");

  auto other = default_boot_options();
  other.partitions.flow = 128;
  REQUIRE_FALSE(fx.backend->prepare(other).has_value());
  CHECK(fx.cmd({"HGET", "ff:config:partitions", "num_flow_partitions"}).str == "256");
  auto quota = default_boot_options();
  quota.partitions.quota = 64;
  REQUIRE_FALSE(fx.backend->prepare(quota).has_value());
  CHECK(fx.cmd({"HGET", "ff:config:partitions", "num_quota_partitions"}).str == "32");
}

TEST_CASE("prepare seeds the lane registry without overwriting it") {
  valkey_fixture fx;
  auto lanes = fx.cmd({"SMEMBERS", "ff:idx:lanes"});
  std::vector<std::string> names;
  for (const auto& e : lanes.elements)
    names.push_back(e.str);
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"default", "gpu"});

  auto created = fx.cmd({"HGET", "ff:lane:default:config", "created_at"});
  REQUIRE(created.is_string());
  CHECK(std::stoll(created.str) > 1'600'000'000'000LL);
  CHECK(fx.cmd({"HGET", "ff:lane:gpu:config", "created_at"}).is_string());

  // A later boot keeps the first creation time and adds new lanes.
  fx.cmd({"HSET", "ff:lane:default:config", "created_at", "42"});
  auto more = default_boot_options();
  more.lanes.push_back("batch");
  REQUIRE(fx.backend->prepare(more).has_value());
  CHECK(fx.cmd({"HGET", "ff:lane:default:config", "created_at"}).str == "42");
  CHECK(fx.cmd({"SISMEMBER", "ff:idx:lanes", "batch"}).integer == 1);
}
