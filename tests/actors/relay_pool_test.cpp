// The relay pool and the call watchdog: how the HTTP front door asks actors
// without a requester spawn per call, and how a call that gets no answer
// still ends.

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "actors/relay_pool.hpp"

namespace {

using namespace std::chrono_literals;

struct counted_call final : ff::pending_call {
  explicit counted_call(std::chrono::steady_clock::duration in)
      : pending_call(std::chrono::steady_clock::now() + in) {}
  void expire() override { ++expired; }
  std::atomic<int> expired{0};
};

// Waits up to `limit` for `pred`; the limit is a hang guard, not a timing check.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

} // namespace

TEST_CASE("the watchdog expires an unanswered call once its deadline passed") {
  ff::call_watchdog dog(10ms);
  auto late = std::make_shared<counted_call>(20ms);
  dog.watch(late);
  REQUIRE(eventually([&] { return late->expired.load() == 1; }));
  CHECK(late->taken());
  CHECK_FALSE(late->take());  // nobody can answer it afterwards
  std::this_thread::sleep_for(50ms);
  CHECK(late->expired.load() == 1);  // expired exactly once
}

TEST_CASE("the watchdog leaves answered calls alone") {
  ff::call_watchdog dog(10ms);
  auto answered = std::make_shared<counted_call>(20ms);
  dog.watch(answered);
  REQUIRE(answered->take());  // the answer came first
  auto marker = std::make_shared<counted_call>(30ms);
  dog.watch(marker);
  REQUIRE(eventually([&] { return marker->expired.load() == 1; }));
  CHECK(answered->expired.load() == 0);
}

TEST_CASE("stopping the watchdog ends every open call, and later calls at once") {
  auto dog = std::make_unique<ff::call_watchdog>(1h);
  auto open = std::make_shared<counted_call>(1h);
  dog->watch(open);
  dog->stop();
  CHECK(open->expired.load() == 1);
  auto after = std::make_shared<counted_call>(1h);
  dog->watch(after);
  CHECK(after->expired.load() == 1);
}

TEST_CASE("a relay asks an actor and hands the answer to the job's callback") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  // One spawn argument: CAF 0.17 dereferences a null argument tuple otherwise (UBSan).
  auto doubler = sys.spawn(
    [](int factor) -> caf::behavior { return {[factor](int x) { return factor * x; }}; }, 2);
  ff::relay_pool relays(sys, 2);
  std::promise<int> answer;
  auto got = answer.get_future();
  relays.post(ff::relay_job{[&](caf::event_based_actor* self) {
    self->request(doubler, caf::infinite, 21)
      .then([&](int v) { answer.set_value(v); }, [&](caf::error&) { answer.set_value(-1); });
  }});
  REQUIRE(got.wait_for(10s) == std::future_status::ready);
  CHECK(got.get() == 42);
  relays.stop();
  caf::anon_send_exit(doubler, caf::exit_reason::user_shutdown);
}
