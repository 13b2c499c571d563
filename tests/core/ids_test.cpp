#include <doctest/doctest.h>

#include "core/ids.hpp"

using namespace ff;

TEST_CASE("crc16 xmodem check value") {
  CHECK(crc16_xmodem(std::string_view("123456789")) == 0x31C3);
  CHECK(crc16_xmodem(std::string_view("")) == 0);
}

TEST_CASE("partition worked examples of the execution model") {
  auto flow = uuid::parse("550e8400-e29b-41d4-a716-446655440000");
  REQUIRE(flow);
  CHECK(crc16_xmodem(flow->bytes.data(), 16) == 0x9018);
  CHECK(uuid_partition(*flow, 256) == 24);
  CHECK(cluster_slot("fp:24") == 360);
  CHECK(cluster_slot("ff:exec:{fp:24}:{fp:24}:1b4e28ba-2fa1-41d2-883f-0016d3cca427:core") == 360);

  CHECK(crc16_xmodem(std::string_view("default")) == 0xD656);
  CHECK(lane_partition("default", 256) == 86);
  CHECK(cluster_slot("{fp:86}") == 3809);

  auto other = uuid::parse("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b");
  REQUIRE(other);
  CHECK(crc16_xmodem(other->bytes.data(), 16) == 0x2F3E);
  CHECK(uuid_partition(*other, 32) == 30);
  CHECK(uuid_partition(*other, 256) == 62);
  CHECK(budget_partition_tag(uuid_partition(*other, 32)) == "{b:30}");
  CHECK(quota_partition_tag(uuid_partition(*other, 32)) == "{q:30}");
}

TEST_CASE("fnv1a seeds scan offsets") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a_u16_mod("worker-1", 256) == 237);
}

TEST_CASE("uuid forms") {
  auto a = uuid::parse("6F1C2A9E-3B7D-4C1E-9A2F-0D8E5B4C3A21");
  REQUIRE(a);
  CHECK(a->str() == "6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21");
  CHECK(uuid::parse("6f1c2a9e3b7d4c1e9a2f0d8e5b4c3a21") == a);
  CHECK(uuid::parse("{6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21}") == a);
  CHECK(uuid::parse("urn:uuid:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21") == a);
  CHECK_FALSE(uuid::parse("6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a2"));
  CHECK_FALSE(uuid::parse("6f1c2a9e+3b7d-4c1e-9a2f-0d8e5b4c3a21"));
  CHECK_FALSE(uuid::parse("zf1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21"));
  CHECK_FALSE(uuid::parse(""));

  auto r = uuid::random_v4();
  CHECK(r.str().size() == 36);
  CHECK(r.str()[14] == '4');
  CHECK_FALSE(r == uuid::random_v4());
}

TEST_CASE("execution id grammar") {
  auto ok = execution_id::parse("{fp:42}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21");
  REQUIRE(ok);
  CHECK(ok->partition == 42);
  CHECK(ok->tag() == "{fp:42}");
  // The id is kept verbatim, never re-formatted.
  auto upper = execution_id::parse("{fp:1}:6F1C2A9E-3B7D-4C1E-9A2F-0D8E5B4C3A21");
  REQUIRE(upper);
  CHECK(upper->value == "{fp:1}:6F1C2A9E-3B7D-4C1E-9A2F-0D8E5B4C3A21");
  // Not range-checked against the partition count at parse time.
  CHECK(execution_id::parse("{fp:65535}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21"));

  CHECK_FALSE(execution_id::parse("6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21"));
  CHECK_FALSE(execution_id::parse("{fp:65536}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21"));
  CHECK_FALSE(execution_id::parse("{fp:}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21"));
  CHECK_FALSE(execution_id::parse("{fp:-1}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21"));
  CHECK_FALSE(execution_id::parse("{fp:4x}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21"));
  CHECK_FALSE(execution_id::parse("{fp:4}:not-a-uuid"));
  CHECK_FALSE(execution_id::parse("{fp:4}6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21"));
  auto bad = execution_id::parse("{b:4}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == error_kind::invalid_input);
  CHECK(bad.error().text() == "must start with {fp:");

  auto minted = execution_id::mint(7);
  CHECK(minted.partition == 7);
  auto reparsed = execution_id::parse(minted.value);
  REQUIRE(reparsed);
  CHECK(reparsed->partition == 7);
}

TEST_CASE("lane and worker id rules") {
  CHECK(is_valid_lane_id("default"));
  CHECK(is_valid_lane_id(std::string(64, 'a')));
  CHECK(is_valid_lane_id("with space"));
  CHECK_FALSE(is_valid_lane_id(""));
  CHECK_FALSE(is_valid_lane_id(std::string(65, 'a')));
  CHECK_FALSE(is_valid_lane_id("tab\there"));
  CHECK_FALSE(is_valid_lane_id("caf\xc3\xa9"));

  CHECK(is_valid_worker_id("worker-gpu-1"));
  CHECK_FALSE(is_valid_worker_id("with space"));
  CHECK_FALSE(is_valid_worker_id(""));
  CHECK_FALSE(is_valid_worker_id(std::string(257, 'w')));
}
