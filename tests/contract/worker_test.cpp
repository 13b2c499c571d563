// The worker registry: register, refresh (a repeated registration is the
// heartbeat), conflicting pools.

#include <doctest/doctest.h>

#include "tests/contract/backend_factory.hpp"
#include "tests/contract/lifecycle_support.hpp"

using namespace ff;
using namespace ff::test;

CONTRACT_TEST("worker registry: register, refresh, a conflicting pool is refused") {
  register_worker_args r;
  r.worker_id = "gpu-pool";
  r.worker_instance_id = "gpu-pool-1";
  r.lanes = {"default", "gpu"};
  r.capabilities = "cuda,gpu";
  r.ttl_ms = 60'000;
  r.now_ms = now_ms();
  auto first = fx.backend->register_worker(r);
  REQUIRE_MESSAGE(first.has_value(), (first ? "" : first.error().text()));
  CHECK(first->status == "registered");
  CHECK(first->next_expiry_ms == r.now_ms + 60'000);

  auto beat = r;
  beat.now_ms = r.now_ms + 5000;
  auto refreshed = fx.backend->register_worker(beat);
  REQUIRE(refreshed.has_value());
  CHECK(refreshed->status == "refreshed");
  CHECK(refreshed->next_expiry_ms == beat.now_ms + 60'000);

  auto thief = r;
  thief.worker_id = "other-pool";
  auto refused = fx.backend->register_worker(thief);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == "conflict");
  // The first pool keeps the instance.
  auto still = fx.backend->register_worker(beat);
  REQUIRE(still.has_value());
  CHECK(still->status == "refreshed");

  // Another namespace is another registry.
  auto elsewhere = thief;
  elsewhere.namespace_name = "tenant-b";
  auto other = fx.backend->register_worker(elsewhere);
  REQUIRE(other.has_value());
  CHECK(other->status == "registered");

  auto bad = r;
  bad.worker_instance_id = "";
  CHECK(error_code(fx.backend->register_worker(bad)) == "invalid_input");
}
