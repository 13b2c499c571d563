// The waitpoint HMAC secret ring of a flow partition: boot seeding, §7.5
// rotation and the ring read the node caches.

#include <doctest/doctest.h>

#include <thread>

#include "tests/contract/backend_factory.hpp"
#include "tests/contract/suspension_support.hpp"

using namespace ff;
using namespace ff::test;

namespace {

const std::string s1 = "000102030405060708090a0b0c0d0e0f";
const std::string s2 = "ffeeddccbbaa99887766554433221100";
const std::string s3 = "0123456789abcdef0123456789abcdef";

hmac_ring ring_ok(contract_fixture& fx, std::uint16_t partition = 3) {
  auto r = fx.backend->get_waitpoint_hmac_ring(partition);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

rotate_secret_outcome rotate_ok(contract_fixture& fx, const std::string& kid,
                                const std::string& secret, std::int64_t grace) {
  auto r = fx.backend->rotate_waitpoint_hmac_secret(3, kid, secret, grace);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

} // namespace

CONTRACT_TEST("boot seeding installs k1 once, then leaves the stored secret alone") {
  CHECK(ring_ok(fx).current_kid.empty());
  CHECK(ring_ok(fx).kids.empty());

  auto first = fx.backend->seed_waitpoint_hmac_secret(3, "k1", s1);
  REQUIRE(first.has_value());
  CHECK(*first == "installed");
  auto ring = ring_ok(fx);
  CHECK(ring.current_kid == "k1");
  REQUIRE(ring.kids.count("k1") == 1);
  CHECK(ring.kids["k1"].secret_hex == s1);
  CHECK(ring.kids["k1"].expires_at_ms == 0);
  // Only partition 3 was seeded.
  CHECK(ring_ok(fx, 4).current_kid.empty());

  CHECK(*fx.backend->seed_waitpoint_hmac_secret(3, "k1", s1) == "present");
  // A different configured secret does not replace the stored one.
  CHECK(*fx.backend->seed_waitpoint_hmac_secret(3, "k1", s2) == "kept_existing");
  CHECK(ring_ok(fx).kids["k1"].secret_hex == s1);

  CHECK(error_code(fx.backend->seed_waitpoint_hmac_secret(3, "k:1", s1)) == "invalid_kid");
  CHECK(error_code(fx.backend->seed_waitpoint_hmac_secret(3, "k1", "abc")) ==
        "invalid_secret_hex");
}

CONTRACT_TEST("rotation: rotated, noop, conflict, validation, grace and GC") {
  REQUIRE(fx.backend->seed_waitpoint_hmac_secret(3, "k1", s1).has_value());

  CHECK(error_code(fx.backend->rotate_waitpoint_hmac_secret(3, "", s2, 1000)) == "invalid_kid");
  CHECK(error_code(fx.backend->rotate_waitpoint_hmac_secret(3, "a:b", s2, 1000)) ==
        "invalid_kid");
  CHECK(error_code(fx.backend->rotate_waitpoint_hmac_secret(3, "k2", "xyz0", 1000)) ==
        "invalid_secret_hex");
  CHECK(error_code(fx.backend->rotate_waitpoint_hmac_secret(3, "k2", s2, -1)) ==
        "invalid_grace_ms");
  auto bad = fx.backend->rotate_waitpoint_hmac_secret(3, "k2", "abc", 1000);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().kind == error_kind::validation);

  // Same kid and secret: nothing to do. Same kid, other secret: conflict.
  auto noop = rotate_ok(fx, "k1", s1, 1000);
  CHECK(noop.status == "noop");
  auto conflict = fx.backend->rotate_waitpoint_hmac_secret(3, "k1", s2, 1000);
  REQUIRE_FALSE(conflict.has_value());
  CHECK(conflict.error().code == "rotation_conflict");
  CHECK(conflict.error().kind == error_kind::conflict);
  CHECK(ring_ok(fx).kids["k1"].secret_hex == s1);

  const std::int64_t before = now_ms();
  auto rotated = rotate_ok(fx, "k2", s2, 60'000);
  CHECK(rotated.status == "rotated");
  CHECK(rotated.previous_kid == "k1");
  CHECK(rotated.new_kid == "k2");
  CHECK(rotated.gc_count == 0);
  auto ring = ring_ok(fx);
  CHECK(ring.current_kid == "k2");
  REQUIRE(ring.kids.size() == 2);
  CHECK(ring.kids["k2"].secret_hex == s2);
  CHECK(ring.kids["k2"].expires_at_ms == 0);
  CHECK(ring.kids["k1"].expires_at_ms >= before + 60'000);
  CHECK(ring.kids["k1"].expires_at_ms <= now_ms() + 60'000);
  // A token of the retired kid still verifies against the read ring.
  const std::string eid = execution_id::mint(3).value;
  const std::string wpid = new_uuid();
  const std::string old_token = mint(eid, wpid);
  CHECK(verify_waitpoint_token(ring, old_token, eid, wpid, now_ms()).has_value());
  CHECK_FALSE(
      verify_waitpoint_token(ring, old_token, eid, wpid, ring.kids["k1"].expires_at_ms + 1)
          .has_value());
  // Retrying the same rotation is safe.
  CHECK(rotate_ok(fx, "k2", s2, 60'000).status == "noop");

  // k2 retires with no grace; at the next rotation it has expired and is
  // collected, while k1 (still in grace) stays.
  CHECK(rotate_ok(fx, "k3", s3, 0).status == "rotated");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ring = ring_ok(fx);
  CHECK(ring.current_kid == "k3");
  // Past its grace k2 is still listed, until the next rotation collects
  // it, so the node can answer token_expired rather than invalid_token.
  REQUIRE(ring.kids.count("k2") == 1);
  CHECK(ring.kids["k2"].expires_at_ms > 0);
  CHECK(ring.kids["k2"].expires_at_ms < now_ms());
  CHECK(ring.kids.count("k1") == 1);
  auto again = rotate_ok(fx, "k4", s1, 1000);
  CHECK(again.status == "rotated");
  CHECK(again.previous_kid == "k3");
  CHECK(again.gc_count == 1);
  ring = ring_ok(fx);
  CHECK(ring.current_kid == "k4");
  CHECK(ring.kids.count("k2") == 0);
  CHECK(ring.kids.count("k1") == 1);
  CHECK(ring.kids.count("k3") == 1);
}
