// Paging through a partition's executions (rest-api.md §3.1).

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/backend/valkey_fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

execution_page list(valkey_fixture& fx, std::uint16_t partition, std::string cursor,
                    std::uint32_t limit) {
  auto page = fx.backend->list_executions({partition, std::move(cursor), limit});
  REQUIRE_MESSAGE(page.has_value(), (page ? "" : page.error().text()));
  return *page;
}

} // namespace

TEST_CASE("listing pages through a partition in byte order") {
  valkey_fixture fx;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto a = sample_create_args(3);
    REQUIRE(fx.backend->create_execution(a).has_value());
    ids.push_back(a.execution_id);
  }
  // Another partition's executions never show up.
  REQUIRE(fx.backend->create_execution(sample_create_args(4)).has_value());
  std::sort(ids.begin(), ids.end());

  auto p1 = list(fx, 3, "", 2);
  CHECK(p1.execution_ids == std::vector<std::string>{ids[0], ids[1]});
  CHECK(p1.next_cursor == ids[1]);

  auto p2 = list(fx, 3, p1.next_cursor, 2);
  CHECK(p2.execution_ids == std::vector<std::string>{ids[2], ids[3]});
  CHECK(p2.next_cursor == ids[3]);

  auto p3 = list(fx, 3, p2.next_cursor, 2);
  CHECK(p3.execution_ids == std::vector<std::string>{ids[4]});
  CHECK(p3.next_cursor.empty());

  SUBCASE("a page that ends exactly at the last id has no next cursor") {
    auto all = list(fx, 3, "", 5);
    CHECK(all.execution_ids == ids);
    CHECK(all.next_cursor.empty());
    auto four = list(fx, 3, "", 4);
    CHECK(four.execution_ids.size() == 4);
    CHECK(four.next_cursor == ids[3]);
  }
  SUBCASE("limit 0 is an empty page") {
    auto none = list(fx, 3, "", 0);
    CHECK(none.execution_ids.empty());
    CHECK(none.next_cursor.empty());
  }
  SUBCASE("the cursor is exclusive and need not be a member") {
    auto after_last = list(fx, 3, ids[4], 10);
    CHECK(after_last.execution_ids.empty());
    // "{fp:3}:" sorts before every id of the partition.
    auto from_prefix = list(fx, 3, "{fp:3}:", 10);
    CHECK(from_prefix.execution_ids == ids);
  }
  SUBCASE("an empty or unknown partition is an empty page") {
    auto empty = list(fx, 200, "", 10);
    CHECK(empty.execution_ids.empty());
    CHECK(empty.next_cursor.empty());
  }
}
