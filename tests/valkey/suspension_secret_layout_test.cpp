// The waitpoint HMAC secret ring as stored: one hash per flow partition.

#include <doctest/doctest.h>

#include <thread>

#include "tests/valkey/store_support.hpp"

using namespace ff;
using namespace ff::test;

namespace {

const std::string s1 = "000102030405060708090a0b0c0d0e0f";
const std::string s2 = "ffeeddccbbaa99887766554433221100";
const std::string s3 = "0123456789abcdef0123456789abcdef";

} // namespace

TEST_CASE("boot seeding repairs a current kid whose secret field is gone") {
  valkey_fixture fx;
  REQUIRE(*fx.backend->seed_waitpoint_hmac_secret(3, "k1", s1) == "installed");
  const std::string key = lk::waitpoint_hmac_key(flow_partition_tag(3));
  CHECK(hash_of(fx, key)["current_kid"] == "k1");
  CHECK(hash_of(fx, key)["secret:k1"] == s1);
  fx.cmd({"HDEL", key, "secret:k1"});
  CHECK(*fx.backend->seed_waitpoint_hmac_secret(3, "k1", s1) == "repaired");
  CHECK(hash_of(fx, key)["secret:k1"] == s1);
  auto ring = fx.backend->get_waitpoint_hmac_ring(3);
  REQUIRE(ring.has_value());
  CHECK(ring->kids["k1"].secret_hex == s1);
}

TEST_CASE("rotation GC removes an expired kid's fields from the hash") {
  valkey_fixture fx;
  REQUIRE(fx.backend->seed_waitpoint_hmac_secret(3, "k1", s1).has_value());
  REQUIRE(fx.backend->rotate_waitpoint_hmac_secret(3, "k2", s2, 60'000)->status == "rotated");
  REQUIRE(fx.backend->rotate_waitpoint_hmac_secret(3, "k3", s3, 0)->status == "rotated");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string key = lk::waitpoint_hmac_key(flow_partition_tag(3));
  CHECK(hash_of(fx, key).count("secret:k2") == 1);
  auto again = fx.backend->rotate_waitpoint_hmac_secret(3, "k4", s1, 1000);
  REQUIRE(again.has_value());
  REQUIRE(again->gc_count == 1);
  auto stored = hash_of(fx, key);
  CHECK(stored.count("secret:k2") == 0);
  CHECK(stored.count("expires_at:k2") == 0);
  CHECK(stored.count("secret:k1") == 1);
  CHECK(stored["current_kid"] == "k4");
  CHECK(stored["previous_kid"] == "k3");
}
