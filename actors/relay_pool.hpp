#pragma once
// How a non-actor thread (the HTTP front door) asks an actor and gets the
// answer through a callback, cheaply.
//
// A relay actor is a long-lived event-based actor that runs "ask jobs": each
// job sends one request from the relay and hands the response to a callback.
// Relays replace a short-lived requester actor per call, whose spawn and
// teardown cost more than the request itself.
//
// The deadline of a call is kept by a call_watchdog, not by CAF's request
// timeout: CAF's clock runs on its own thread, and setting and cancelling a
// timeout wakes that thread on every request. The watchdog only sweeps a
// list a few times a second, so a deadline is honoured within one sweep.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/all.hpp>

namespace ff {

// One ask a relay runs with its own self pointer. Local only: it never
// crosses a node boundary.
struct relay_job {
  std::function<void(caf::event_based_actor*)> run;
};

} // namespace ff

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ff::relay_job)

namespace ff {

// A call's completion, taken exactly once: by the answer or by the
// watchdog, whichever comes first.
class pending_call {
public:
  explicit pending_call(std::chrono::steady_clock::time_point deadline) : deadline_(deadline) {}
  virtual ~pending_call() = default;
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  bool take() { return !done_.exchange(true, std::memory_order_acq_rel); }
  bool taken() const { return done_.load(std::memory_order_acquire); }
  // Called by the watchdog once the deadline passed and nobody took the call.
  virtual void expire() = 0;
  // Called by the watchdog when the store went down with the call open: it
  // would only wait behind a dead connection.
  virtual void store_lost() { expire(); }

private:
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> done_{false};
};

class call_watchdog {
public:
  // `store_down`, when given, is asked at every sweep: while it holds, every
  // open call ends at once through store_lost().
  explicit call_watchdog(std::chrono::milliseconds sweep_every,
                         std::function<bool()> store_down = {});
  ~call_watchdog();
  call_watchdog(const call_watchdog&) = delete;
  call_watchdog& operator=(const call_watchdog&) = delete;

  void watch(std::shared_ptr<pending_call> call);
  // Expires every call still open and stops the sweeping thread.
  void stop();

private:
  void sweep_loop();

  std::chrono::milliseconds sweep_every_;
  std::function<bool()> store_down_;
  std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<pending_call>> calls_;
  std::thread thread_;
};

// A fixed set of relay actors, picked round-robin.
class relay_pool {
public:
  relay_pool(caf::actor_system& sys, std::size_t size);
  void post(relay_job job);
  // Ends the relays (their pending asks are abandoned).
  void stop();

private:
  std::vector<caf::actor> relays_;
  std::atomic<std::size_t> next_{0};
};

} // namespace ff
