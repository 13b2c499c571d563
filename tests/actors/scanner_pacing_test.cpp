// Scanner pacing (scanner_actor.cpp): a pass asks `concurrency` partitions
// at a time, one batch each, and the next pass starts only when the
// interval has passed, so a scanner never floods the backends.

#include <doctest/doctest.h>

#include <vector>

#include "actors/scanner_actor.hpp"
#include "tests/actors/actor_fixture.hpp"

using namespace ff;
using namespace ff::test;
using namespace std::chrono_literals;

TEST_CASE("a scanner pass asks a few partitions at a time, then waits for its interval") {
  rig_settings s;
  s.partitions = 5;
  actor_rig rig{s};
  scanner_settings settings;
  settings.kind = scan_kind::expire_leases;
  settings.interval = 1000ms;
  settings.concurrency = 2;
  rig.keep(rig.sys.spawn(scanner_actor_behavior, settings, rig.table, rig.lanes,
                         static_cast<metrics_sink*>(&rig.metrics),
                         std::shared_ptr<store_health>{}));

  // Which backends (one per partition) hold a batch not yet run.
  auto queued = [&] {
    std::vector<std::uint16_t> out;
    for (std::uint16_t p = 0; p < s.partitions; ++p)
      if (rig.has_work(rig.backends[p])) out.push_back(p);
    return out;
  };
  auto hold_all = [&] {
    auto& b = rig.backends;
    rig.run_except(b[0], b[1], b[2], b[3], b[4]);
  };

  hold_all();
  CHECK(queued() == std::vector<std::uint16_t>{0, 1});
  // One batch done: the next partition is asked, never more than two at once.
  rig.run_only(rig.backends[0]);
  hold_all();
  CHECK(queued() == std::vector<std::uint16_t>{1, 2});
  rig.run_only(rig.backends[2]);
  hold_all();
  CHECK(queued() == std::vector<std::uint16_t>{1, 3});

  rig.run();
  CHECK(rig.metrics.calls("ff_expire_leases") == 5); // one batch per partition
  CHECK(rig.metrics.cycles("expire_leases") == 1);

  // The next pass waits for the interval, not for the last batch.
  rig.sched.advance_time(999ms);
  rig.run();
  CHECK(rig.metrics.calls("ff_expire_leases") == 5);
  rig.sched.advance_time(1ms);
  rig.run();
  CHECK(rig.metrics.calls("ff_expire_leases") == 10);
  CHECK(rig.metrics.cycles("expire_leases") == 2);
}
