// The stored public_state label follows every transition (reads derive it
// from the vector, so only the raw hash can show a stale label). The
// transitions the other layout tests do not walk.

#include <doctest/doctest.h>

#include "tests/valkey/store_support.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("the stored label after an operator override, a non-retryable failure, a signal") {
  valkey_fixture fx;
  const auto forced = create(fx, 7);
  auto l = acquire_lease(fx, forced);
  auto unfenced = complete_request(l);
  unfenced.fence = {};
  unfenced.source = "operator_override";
  REQUIRE(fx.backend->complete_execution(unfenced).has_value());
  CHECK(consistent_core(fx, forced)["public_state"] == "completed");

  const auto failing = create(
      fx, 7, "default",
      R"({"retry_policy":{"max_retries":2,"backoff":{"type":"fixed","delay_ms":60000}}})");
  auto f = acquire_lease(fx, failing);
  REQUIRE(fail_ok(fx, fail_request(f, "bad input", false)).outcome == fail_disposition::failed);
  CHECK(consistent_core(fx, failing)["public_state"] == "failed");

  auto op = create_and_suspend(fx, {"k"}, R"({"type":"operator_only"})");
  REQUIRE(deliver_ok(fx, signal_request(op.eid, op.wp(0))).effect ==
          "signal_ignored_not_in_condition");
  CHECK(consistent_core(fx, op.eid)["public_state"] == "suspended");
  auto any = create_and_suspend(fx, {"a", "b"}, R"({"type":"any_of","waitpoint_keys":["a","b"]})",
                                0, "fail", 8);
  REQUIRE(deliver_ok(fx, signal_request(any.eid, any.wp(1))).became_eligible);
  CHECK(consistent_core(fx, any.eid)["public_state"] == "waiting");
}
