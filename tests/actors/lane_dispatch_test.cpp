// Push dispatch through real lane, partition and backend actors over a real
// redis-server, on CAF's deterministic scheduler (tests/actors/actor_fixture.hpp):
// parked claims and their wake-up, round-robin over ready partitions, the
// tried-partition set, the stale-answer guard, wait expiry and the drain
// at shutdown.

#include <doctest/doctest.h>

#include <vector>

#include "core/clock.hpp"
#include "tests/actors/actor_fixture.hpp"

using namespace ff;
using namespace ff::test;
using namespace std::chrono_literals;

namespace {
const std::string acquire_fn = "ff_acquire_next_in_lane";
} // namespace

TEST_CASE("a parked claim is answered as soon as a partition reports new work") {
  actor_rig rig;
  auto claim = rig.acquire(claim_request("default", long_wait_ms));
  rig.run();
  // Nothing is ready: the claim parks without asking the store.
  CHECK_FALSE(claim->arrived());
  CHECK(rig.metrics.parked("default") == 1);
  CHECK(rig.metrics.calls(acquire_fn) == 0);

  // A create on partition 1: the partition tells the lane, which serves
  // the parked claim from that partition with one store call.
  auto eid = rig.create(1);
  const auto& got = acquired(claim);
  CHECK(got.acquired);
  CHECK(got.lease.execution_id == eid.value);
  CHECK(got.lease.lane_id == "default");
  CHECK(rig.metrics.parked("default") == 0);
  CHECK(rig.metrics.calls(acquire_fn) == 1);
}

TEST_CASE("claims are served round-robin over the ready partitions") {
  actor_rig rig;
  for (std::uint16_t p = 0; p < 3; ++p) {
    rig.create(p);
    rig.create(p);
  }

  SUBCASE("one claim after another") {
    std::vector<std::uint16_t> served_from;
    for (int i = 0; i < 6; ++i) {
      auto claim = rig.acquire(claim_request());
      rig.run();
      const auto& got = acquired(claim);
      REQUIRE(got.acquired);
      served_from.push_back(partition_of(got.lease.execution_id));
    }
    // In turn, not always the first partition that has work.
    CHECK(served_from == std::vector<std::uint16_t>{0, 1, 2, 0, 1, 2});
    // Each claim asked exactly one partition: none was asked for nothing.
    CHECK(rig.metrics.calls(acquire_fn) == 6);

    // Every partition answered "nothing left" with its last entry: the
    // ready set is empty and the next claim ends without asking the store.
    auto empty = rig.acquire(claim_request());
    rig.run();
    CHECK_FALSE(acquired(empty).acquired);
    CHECK(rig.metrics.calls(acquire_fn) == 6);
  }

  SUBCASE("claims that arrive together spread over the partitions") {
    std::vector<answer_ptr<reply<acquire_outcome>>> claims;
    for (int i = 0; i < 3; ++i) claims.push_back(rig.acquire(claim_request()));
    rig.run();
    std::vector<std::uint16_t> served_from;
    for (auto& c : claims) served_from.push_back(partition_of(acquired(c).lease.execution_id));
    std::sort(served_from.begin(), served_from.end());
    CHECK(served_from == std::vector<std::uint16_t>{0, 1, 2});
  }
}

// lane_actor.cpp keeps, per claim, the partitions that answered "nothing
// for you" since they last reported. Without that set a claim would ask a
// partition whose work it cannot run again and again (remaining > 0 keeps
// the partition ready): the run below would not settle. With it the claim
// parks, and only a new report from that partition sends it back there.
TEST_CASE("a claim does not ask a partition again until it reports new work") {
  actor_rig rig;
  auto gpu_only = rig.create(0, "default", "gpu");

  auto claim = rig.acquire(claim_request("default", long_wait_ms)); // no capabilities
  rig.run(); // bounded: fails on a dispatch loop
  CHECK_FALSE(claim->arrived());
  CHECK(rig.metrics.calls(acquire_fn) == 1);
  CHECK(rig.metrics.parked("default") == 1);

  // Another report from the same partition clears it from the claim's
  // tried set: the claim asks again and takes the new work.
  auto plain = rig.create(0);
  const auto& got = acquired(claim);
  REQUIRE(got.acquired);
  CHECK(got.lease.execution_id == plain.value);
  CHECK(rig.metrics.calls(acquire_fn) == 2);

  // The gpu work is still there for a capable worker.
  auto gpu = rig.acquire(claim_request("default", 0, "gpu", "g1"));
  rig.run();
  CHECK(acquired(gpu).lease.execution_id == gpu_only.value);
}

// The stale-answer guard (lane_actor.cpp, on_answer): an answer "nothing
// left" removes the partition from the ready set only if no report from
// that partition arrived since the claim was sent. Here the report
// overtakes the answer: the answer was made by the store before the new
// work existed. Without the guard the partition leaves the ready set and
// the new work is stranded until some later report.
//
// The report is sent by the test itself (the message a partition sends).
// One partition actor cannot produce this order: its backend answers in
// order and it reports in that order, so a report made after a store call
// always reaches the lane after that call's answer. Reports and answers
// take different paths when a partition's backend or actor is replaced
// with calls in flight, or a report is forwarded by a retiring lane
// actor, which is what the guard is for. Store and actors stay real.
TEST_CASE("an answer older than the partition's last report keeps it ready") {
  actor_rig rig{rig_settings{1}};
  auto& p0 = rig.partitions[0];
  auto& b0 = rig.backends[0];
  auto lane = rig.lane();
  auto first = rig.create(0);

  // The claim reaches the store, which hands out the only entry ("0 left");
  // the answer waits in the partition actor's mailbox.
  auto claim = rig.acquire(claim_request());
  rig.run_except(p0, b0);
  rig.run_only(p0);
  REQUIRE(rig.has_work(b0));
  rig.run_only(b0);
  REQUIRE(rig.has_work(p0));
  CHECK(rig.metrics.calls(acquire_fn) == 1);

  // New work lands after that store call, and its report reaches the lane
  // before the answer does.
  auto second = rig.create_in_store(0);
  caf::anon_send(lane, ready_atom::value, std::uint16_t{0});
  rig.run_only(lane);
  rig.run();
  CHECK(acquired(claim).lease.execution_id == first.value);

  // The partition is still ready: the next claim gets the new work.
  auto next = rig.acquire(claim_request());
  rig.run();
  const auto& got = acquired(next);
  CHECK(got.acquired);
  CHECK(got.lease.execution_id == second.value);
}

TEST_CASE("a parked claim ends with no work when its wait is over") {
  actor_rig rig;
  auto claim = rig.acquire(claim_request("default", 10'000));
  rig.run();
  REQUIRE(rig.metrics.parked("default") == 1);

  rig.sched.advance_time(9s);
  rig.run();
  CHECK_FALSE(claim->arrived());

  rig.sched.advance_time(2s);
  rig.run();
  CHECK_FALSE(acquired(claim).acquired);
  CHECK(rig.metrics.parked("default") == 0);
  CHECK(rig.metrics.calls(acquire_fn) == 0);

  // Work after the wait goes to the next claim, not to the ended one.
  auto eid = rig.create(2);
  auto next = rig.acquire(claim_request());
  rig.run();
  CHECK(acquired(next).lease.execution_id == eid.value);
}

TEST_CASE("a scanner batch that makes work eligible wakes a parked claim") {
  actor_rig rig;
  const auto due = now_ms() + 60'000;
  auto delayed = rig.create(2, "default", "", due);
  auto claim = rig.acquire(claim_request("default", long_wait_ms));
  rig.run();
  REQUIRE_FALSE(claim->arrived()); // a delayed create reports nothing

  // One promote_delayed batch on the caller's clock, past the delay.
  scan_args args;
  args.partition = 2;
  args.now_ms = due + 1;
  args.lanes = {"default"};
  auto batch = rig.ask(rig.partitions[2],
                       operation<ops::run_scanner>{scanner_batch{scan_kind::promote_delayed, args}});
  rig.run();
  REQUIRE(batch->value);
  REQUIRE(batch->value->ok);
  CHECK(batch->value->value.changed == 1);
  CHECK(acquired(claim).lease.execution_id == delayed.value);
}

// Shutdown (actor_runtime::begin_shutdown) sends drain_atom to every lane:
// each waiting claim ends now with "no work", so the HTTP drain does not
// wait out long-polls; a claim whose store call is in flight ends when
// that call answers instead of parking again.
TEST_CASE("drain answers every waiting claim with no work") {
  actor_rig rig{rig_settings{1}};
  auto& b0 = rig.backends[0];
  auto lane = rig.lane();
  rig.create(0, "default", "gpu"); // work none of these workers can run

  auto parked_acquire = rig.acquire(claim_request("default", long_wait_ms, "", "w1"));
  auto parked_grant = rig.grant(claim_request("default", long_wait_ms, "", "w2"));
  rig.run();
  REQUIRE(rig.metrics.parked("default") == 2);

  // A third claim reaches the store; its call is held there.
  auto in_flight = rig.acquire(claim_request("default", long_wait_ms, "", "w3"));
  rig.run_except(b0);
  REQUIRE(rig.has_work(b0));

  caf::anon_send(lane, drain_atom::value);
  rig.run_except(b0);
  CHECK_FALSE(acquired(parked_acquire).acquired);
  REQUIRE(parked_grant->value);
  REQUIRE(parked_grant->value->ok);
  CHECK_FALSE(parked_grant->value->value.granted);
  CHECK(rig.metrics.parked("default") == 0);
  CHECK_FALSE(in_flight->arrived());

  // The store answers "nothing for you": the drained claim ends instead of parking.
  rig.run();
  CHECK_FALSE(acquired(in_flight).acquired);
  CHECK(rig.metrics.parked("default") == 0);

  // The wait timers of the drained claims fire later and find nothing.
  rig.sched.advance_time(std::chrono::milliseconds(long_wait_ms) + 1s);
  rig.run();
  CHECK(rig.metrics.parked("default") == 0);
}
