// grant_next_in_lane: the reference claim route's grant on one partition.

#include <doctest/doctest.h>

#include "tests/backend/lifecycle_support.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("grant_next_in_lane grants the head the worker can run, then the grant is claimed") {
  valkey_fixture fx;
  const std::string needs_gpu = create(fx, 3, "default", "{}", 9, "gpu");
  const std::string plain = create(fx, 3, "default", "{}", 1);

  auto req = acquire_request(3, "default", "cpu-1", "linux");
  req.grant_ttl_ms = 4000;
  const auto before = now_ms();
  auto first = fx.backend->grant_next_in_lane(req);
  REQUIRE_MESSAGE(first.has_value(), (first ? "" : first.error().text()));
  REQUIRE(first->granted);
  CHECK(first->grant.execution_id == plain);
  CHECK(first->grant.partition_key == "{fp:3}");
  CHECK(first->grant.grant_key == lk::claim_grant_key(plain));
  CHECK(first->grant.expires_at_ms >= before + 4000);
  CHECK(first->skipped_capability == 1);
  CHECK(first->eligible_remaining == 2); // a grant does not take it off the queue
  auto grant = hash_of(fx, lk::claim_grant_key(plain));
  CHECK(grant["worker_id"] == "pool-cpu-1");
  CHECK(grant["worker_instance_id"] == "cpu-1");

  // The granted execution is not granted twice; nothing else fits this worker.
  auto again = fx.backend->grant_next_in_lane(req);
  REQUIRE(again.has_value());
  CHECK_FALSE(again->granted);
  CHECK(again->skipped_capability == 1);

  claim_execution_args claim;
  claim.execution_id = plain;
  claim.worker_id = "pool-cpu-1";
  claim.worker_instance_id = "cpu-1";
  claim.lane_id = "default";
  claim.lease_id = new_uuid();
  claim.attempt_id = new_uuid();
  auto lease = fx.backend->claim_execution(claim);
  REQUIRE_MESSAGE(lease.has_value(), (lease ? "" : lease.error().text()));
  CHECK(lease->execution_id == plain);
  CHECK(lease->attempt_type == "initial");
  CHECK(consistent_core(fx, plain)["public_state"] == "active");

  auto gpu = acquire_request(3, "default", "gpu-1", "gpu");
  auto capable = fx.backend->grant_next_in_lane(gpu);
  REQUIRE(capable.has_value());
  REQUIRE(capable->granted);
  CHECK(capable->grant.execution_id == needs_gpu);

  auto empty_lane = fx.backend->grant_next_in_lane(acquire_request(3, "other", "cpu-1"));
  REQUIRE(empty_lane.has_value());
  CHECK_FALSE(empty_lane->granted);
  CHECK(empty_lane->eligible_remaining == 0);

  auto bad_ttl = acquire_request(3, "default", "cpu-1");
  bad_ttl.grant_ttl_ms = 0;
  auto refused = fx.backend->grant_next_in_lane(bad_ttl);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == "invalid_input");
}
