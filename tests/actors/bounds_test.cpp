// The bounds of the actor layer, with the store calls held in the backend
// actors' mailboxes so the queues fill deterministically: the partition
// bound (and the background places kept for scanners), the lane bound,
// and the lane directory's max_lanes.

#include <doctest/doctest.h>

#include <vector>

#include "tests/actors/actor_fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

template <class T>
void check_exhausted(const answer_ptr<reply<T>>& a, const std::string& pool, std::uint64_t limit) {
  REQUIRE_MESSAGE(a->arrived(), "no answer: the request was queued, not refused");
  REQUIRE_FALSE(a->failure);
  REQUIRE_FALSE(a->value->ok);
  CHECK(a->value->error.kind == error_kind::resource_exhausted);
  CHECK(a->value->error.code == pool);
  CHECK(a->value->error.limit == limit);
}

scanner_batch expire_leases_batch(std::uint16_t p) {
  scan_args args;
  args.partition = p;
  args.now_ms = 1;
  return scanner_batch{scan_kind::expire_leases, args};
}

} // namespace

TEST_CASE("a partition refuses requests over its bound with resource_exhausted") {
  rig_settings s;
  s.partitions = 1;
  s.partition_bound = 2;
  actor_rig rig{s};
  auto& p0 = rig.partitions[0];
  auto& b0 = rig.backends[0];
  auto eid = rig.create(0);

  using op = ops::get_execution_state;
  auto first = rig.ask(p0, operation<op>{eid});
  auto second = rig.ask(p0, operation<op>{eid});
  auto third = rig.ask(p0, operation<op>{eid});
  rig.run_except(b0);
  // Two calls wait in the backend's mailbox; the third is refused at once.
  CHECK_FALSE(first->arrived());
  CHECK_FALSE(second->arrived());
  check_exhausted(third, "partition", 2);
  CHECK(rig.metrics.rejected("partition") == 1);

  // Scanner batches have places of their own: admitted while requests are at the bound.
  auto batch = rig.ask(p0, operation<ops::run_scanner>{expire_leases_batch(0)});
  rig.run_except(b0);
  CHECK_FALSE(batch->arrived());

  rig.run();
  REQUIRE(first->value);
  CHECK(first->value->ok);
  CHECK(first->value->value == "waiting");
  REQUIRE(second->value);
  CHECK(second->value->ok);
  REQUIRE(batch->value);
  CHECK(batch->value->ok);

  // Answered calls give their places back.
  auto after = rig.ask(p0, operation<op>{eid});
  rig.run();
  REQUIRE(after->value);
  CHECK(after->value->ok);
  CHECK(rig.metrics.rejected("partition") == 1);
}

TEST_CASE("scanner batches have a bound of their own") {
  actor_rig rig{rig_settings{1}};
  auto& p0 = rig.partitions[0];
  auto& b0 = rig.backends[0];
  std::vector<answer_ptr<reply<scan_outcome>>> batches;
  for (int i = 0; i < 17; ++i)
    batches.push_back(rig.ask(p0, operation<ops::run_scanner>{expire_leases_batch(0)}));
  rig.run_except(b0);
  for (int i = 0; i < 16; ++i) CHECK_FALSE(batches[i]->arrived());
  check_exhausted(batches[16], "partition_background", 16);

  // Requests are not refused by a full background queue.
  auto request = rig.ask(p0, operation<ops::get_execution_state>{execution_id::mint(0)});
  rig.run_except(b0);
  CHECK_FALSE(request->arrived());
  rig.run();
  for (int i = 0; i < 16; ++i) {
    REQUIRE(batches[i]->value);
    CHECK(batches[i]->value->ok);
  }
  REQUIRE(request->value);
  CHECK(request->value->error.code == "execution_not_found");
}

TEST_CASE("a lane refuses claims over its bound, counting claims in flight and parked") {
  rig_settings s;
  s.partitions = 1;
  s.lane_bound = 2;
  actor_rig rig{s};
  auto& b0 = rig.backends[0];
  auto first_eid = rig.create(0);
  auto second_eid = rig.create(0);

  // Two claims in flight (their store calls held), a third refused.
  auto c1 = rig.acquire(claim_request("default", long_wait_ms, "", "w1"));
  auto c2 = rig.acquire(claim_request("default", long_wait_ms, "", "w2"));
  rig.run_except(b0);
  auto c3 = rig.acquire(claim_request("default", long_wait_ms, "", "w3"));
  rig.run_except(b0);
  CHECK_FALSE(c1->arrived());
  CHECK_FALSE(c2->arrived());
  check_exhausted(c3, "lane", 2);
  CHECK(rig.metrics.rejected("lane") == 1);
  CHECK(rig.metrics.at_capacity() == 1);

  rig.run();
  std::vector<std::string> got{acquired(c1).lease.execution_id, acquired(c2).lease.execution_id};
  std::sort(got.begin(), got.end());
  std::vector<std::string> want{first_eid.value, second_eid.value};
  std::sort(want.begin(), want.end());
  CHECK(got == want);

  // The places are free again; parked claims hold them too.
  auto c4 = rig.acquire(claim_request("default", long_wait_ms, "", "w4"));
  auto c5 = rig.acquire(claim_request("default", long_wait_ms, "", "w5"));
  rig.run();
  CHECK(rig.metrics.parked("default") == 2);
  auto c6 = rig.acquire(claim_request("default", long_wait_ms, "", "w6"));
  rig.run();
  check_exhausted(c6, "lane", 2);
  CHECK_FALSE(c4->arrived());
  CHECK_FALSE(c5->arrived());
}

// A partition at its bound answers a lane's claim with resource_exhausted;
// the lane tries another ready partition instead of failing the claim.
TEST_CASE("a claim skips a saturated partition instead of failing") {
  rig_settings s;
  s.partitions = 2;
  s.partition_bound = 1;
  actor_rig rig{s};
  auto& p0 = rig.partitions[0];
  auto& b0 = rig.backends[0];
  auto busy_eid = rig.create(0);
  auto free_eid = rig.create(1);

  // Partition 0 is at its bound: one call waits in its backend's mailbox.
  auto blocker = rig.ask(p0, operation<ops::get_execution_state>{busy_eid});
  rig.run_except(b0);
  REQUIRE_FALSE(blocker->arrived());

  // The cursor is at partition 0: it refuses, partition 1 serves.
  auto claim = rig.acquire(claim_request("default", long_wait_ms));
  rig.run_except(b0);
  const auto& got = acquired(claim);
  CHECK(got.acquired);
  CHECK(got.lease.execution_id == free_eid.value);
  CHECK(rig.metrics.rejected("partition") == 1);
  rig.run();
  CHECK(blocker->value->ok);
}

TEST_CASE("the lane directory serves at most max_lanes lanes") {
  rig_settings s;
  s.max_lanes = 2;
  actor_rig rig{s}; // "default" is configured and counts
  CHECK(rig.metrics.lanes_served() == 1);

  lane_directory::lookup why{};
  auto a = rig.lanes->get("a", &why);
  CHECK(a);
  CHECK(why == lane_directory::lookup::found);
  CHECK(rig.metrics.lanes_served() == 2);

  auto b = rig.lanes->get("b", &why);
  CHECK_FALSE(b);
  CHECK(why == lane_directory::lookup::too_many_lanes);
  CHECK(rig.lanes->max_lanes() == 2);

  // Lanes already served are still found, and the same actor answers.
  CHECK(rig.lanes->get("a", &why) == a);
  CHECK(rig.lanes->get("default", &why));
  CHECK(why == lane_directory::lookup::found);

  // A partition reporting work in a lane beyond the bound spawns nothing
  // (the execution stays in the store for when the lane is served).
  auto eid = rig.create(0, "b");
  CHECK(rig.metrics.lanes_served() == 2);
  CHECK(rig.lanes->names() == std::vector<std::string>{"a", "default"});
  CHECK(rig.metrics.calls("ff_acquire_next_in_lane") == 0);

  // After shutdown starts, lookups answer shutting_down.
  auto actors = rig.lanes->clear();
  for (auto& l : actors) rig.keep(l);
  CHECK_FALSE(rig.lanes->get("a", &why));
  CHECK(why == lane_directory::lookup::shutting_down);
  (void)eid;
}
