// prepare(): idempotent across connections, the partition-count record
// written once and enforced after; ping.

#include <doctest/doctest.h>

#include "tests/contract/backend_factory.hpp"

using namespace ff;
using namespace ff::test;

CONTRACT_TEST_UNPREPARED("the first prepare writes the partition record; later ones write nothing") {
  auto first = fx.backend->prepare(default_boot_options());
  REQUIRE_MESSAGE(first.has_value(), (first ? "" : first.error().text()));
  CHECK(first->partitions_written);
  CHECK_FALSE(first->library_version.empty());
  CHECK_FALSE(first->server_version.empty());

  // A fresh backend (as a restarted node would have) finds it in place.
  auto again = fx.connect()->prepare(default_boot_options());
  REQUIRE_MESSAGE(again.has_value(), (again ? "" : again.error().text()));
  CHECK_FALSE(again->partitions_written);
  CHECK(again->library_version == first->library_version);

  auto forced_opts = default_boot_options();
  forced_opts.force_library_reload = true;
  auto forced = fx.backend->prepare(forced_opts);
  REQUIRE_MESSAGE(forced.has_value(), (forced ? "" : forced.error().text()));
  CHECK_FALSE(forced->partitions_written);
  CHECK(forced->library_version == first->library_version);
  // The store serves operations after all of it.
  CHECK(fx.backend->ping().has_value());
  CHECK(error_code(fx.backend->get_execution(execution_id::mint(1))) ==
        "execution_not_found");
}

CONTRACT_TEST("prepare refuses partition counts that differ from the stored ones") {
  // The fixture prepared the store with the defaults 256 / 32 / 32.
  auto other = default_boot_options();
  other.partitions.flow = 128;
  auto refused = fx.backend->prepare(other);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == "partition_config_mismatch");
  const std::string text = refused.error().text();
  CHECK_MESSAGE(text.find("stored flow=256 budget=32 quota=32") != std::string::npos, text);
  CHECK_MESSAGE(text.find("configured flow=128 budget=32 quota=32") != std::string::npos, text);

  auto quota = default_boot_options();
  quota.partitions.quota = 64;
  auto quota_refused = fx.backend->prepare(quota);
  REQUIRE_FALSE(quota_refused.has_value());
  CHECK(quota_refused.error().code == "partition_config_mismatch");

  // The stored record is untouched: the defaults still match.
  auto same = fx.connect()->prepare(default_boot_options());
  REQUIRE(same.has_value());
  CHECK_FALSE(same->partitions_written);
}

CONTRACT_TEST("ping answers while the store is up") {
  CHECK(fx.backend->ping().has_value());
  CHECK(fx.connect()->ping().has_value());
  // drop_connection: the next call opens a fresh one.
  fx.backend->drop_connection();
  CHECK(fx.backend->ping().has_value());
  CHECK_FALSE(std::string(fx.backend->name()).empty());
}
