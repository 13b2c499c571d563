// Signal delivery on the Valkey layout: waitpoint hashes (state, close
// reason, counters), the execution's signal index, signal hashes.

#include <doctest/doctest.h>

#include "tests/valkey/store_support.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("a satisfied all_of closes every waitpoint hash as resumed") {
  valkey_fixture fx;
  auto s = create_and_suspend(
      fx, {"legal", "finance"},
      R"({"type":"all_of","members":[{"type":"single","waitpoint_key":"legal","signal_name":null},
                                     {"type":"single","waitpoint_key":"finance","signal_name":null}]})");
  deliver_ok(fx, signal_request(s.eid, s.wp(0), "ok", "legal-team"));
  CHECK(waitpoint_of(fx, s.eid, s.wp(0))["state"] == "active");
  CHECK(consistent_core(fx, s.eid)["public_state"] == "suspended");
  REQUIRE(deliver_ok(fx, signal_request(s.eid, s.wp(1), "ok", "finance-team")).became_eligible);
  CHECK(consistent_core(fx, s.eid)["public_state"] == "waiting");
  for (std::size_t i = 0; i < 2; ++i) {
    auto wp = waitpoint_of(fx, s.eid, s.wp(i));
    CHECK(wp["state"] == "closed");
    CHECK(wp["close_reason"] == "resumed");
  }
}

TEST_CASE("any_of closes every waitpoint hash on the first signal") {
  valkey_fixture fx;
  auto s = create_and_suspend(fx, {"email", "sms", "push"},
                              R"({"type":"any_of","waitpoint_keys":["email","sms","push"]})");
  deliver_ok(fx, signal_request(s.eid, s.wp(1), "clicked", "user-1"));
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(waitpoint_of(fx, s.eid, s.wp(i))["state"] == "closed");
}

TEST_CASE("the waitpoint counts every signal and the matched ones") {
  valkey_fixture fx;
  auto s = create_and_suspend(
      fx, {"votes"},
      R"({"type":"count","n":2,"count_kind":"distinct_sources","waitpoint_keys":["votes"],"signal_name":"vote"})");
  deliver_ok(fx, signal_request(s.eid, s.wp(0), "vote", "alice"));
  deliver_ok(fx, signal_request(s.eid, s.wp(0), "vote", "alice"));
  deliver_ok(fx, signal_request(s.eid, s.wp(0), "comment", "carol"));
  auto last = deliver_ok(fx, signal_request(s.eid, s.wp(0), "vote", "bob"));
  REQUIRE(last.effect == "resume_condition_satisfied");
  auto wp = waitpoint_of(fx, s.eid, s.wp(0));
  CHECK(wp["signal_count"] == "4");
  CHECK(wp["matched_signal_count"] == "3");
  CHECK(fx.cmd({"ZCARD", lk::exec_signals_key(s.eid)}).integer == 4);
}

TEST_CASE("a duplicate idempotency key stores no second signal") {
  valkey_fixture fx;
  auto s = create_and_suspend(
      fx, {"k"},
      R"({"type":"count","n":3,"count_kind":"distinct_signals","waitpoint_keys":["k"]})");
  auto first = signal_request(s.eid, s.wp(0));
  first.idempotency_key = "webhook-42";
  REQUIRE_FALSE(deliver_ok(fx, first).duplicate);
  auto retry = signal_request(s.eid, s.wp(0));
  retry.idempotency_key = "webhook-42";
  REQUIRE(deliver_ok(fx, retry).duplicate);
  REQUIRE(deliver_ok(fx, first).duplicate);
  CHECK(fx.cmd({"ZCARD", lk::exec_signals_key(s.eid)}).integer == 1);
  CHECK(waitpoint_of(fx, s.eid, s.wp(0))["signal_count"] == "1");
  CHECK(fx.cmd({"EXISTS", lk::signal_hash_key(tag_of(s.eid), first.signal_id)}).integer == 1);
  CHECK(fx.cmd({"EXISTS", lk::signal_hash_key(tag_of(s.eid), retry.signal_id)}).integer == 0);
  CHECK(consistent_core(fx, s.eid)["public_state"] == "suspended");
}
