#include "actors/relay_pool.hpp"

#include <algorithm>

namespace ff {

call_watchdog::call_watchdog(std::chrono::milliseconds sweep_every,
                             std::function<bool()> store_down)
    : sweep_every_(sweep_every), store_down_(std::move(store_down)),
      thread_([this] { sweep_loop(); }) {}

call_watchdog::~call_watchdog() { stop(); }

void call_watchdog::watch(std::shared_ptr<pending_call> call) {
  std::lock_guard<std::mutex> guard(mutex_);
  if (stopping_) {
    if (call->take()) call->expire();
    return;
  }
  calls_.push_back(std::move(call));
}

void call_watchdog::stop() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<std::shared_ptr<pending_call>> left;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    left.swap(calls_);
  }
  for (auto& c : left)
    if (c->take()) c->expire();
}

void call_watchdog::sweep_loop() {
  std::vector<std::shared_ptr<pending_call>> batch, keep, expired, lost;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, sweep_every_, [this] { return stopping_; });
    if (stopping_) break;
    batch.swap(calls_);
    lock.unlock();
    auto now = std::chrono::steady_clock::now();
    const bool store_down = store_down_ && store_down_();
    for (auto& c : batch) {
      if (c->taken()) continue;  // answered: forget it
      if (c->deadline() <= now) expired.push_back(std::move(c));
      else if (store_down) lost.push_back(std::move(c));
      else keep.push_back(std::move(c));
    }
    batch.clear();
    // Callbacks run outside the lock; they only post to another executor.
    for (auto& c : expired)
      if (c->take()) c->expire();
    expired.clear();
    for (auto& c : lost)
      if (c->take()) c->store_lost();
    lost.clear();
    lock.lock();
    calls_.insert(calls_.end(), std::make_move_iterator(keep.begin()),
                  std::make_move_iterator(keep.end()));
    keep.clear();
  }
}

namespace {

// `index` is unused by the relay itself: CAF 0.17 dereferences the empty
// argument tuple of an actor spawned with no arguments (UBSan: reference
// binding to null pointer), so every spawn in this code passes one.
caf::behavior relay_behavior(caf::event_based_actor* self, std::size_t /*index*/) {
  return {[self](relay_job& job) { job.run(self); }};
}

} // namespace

relay_pool::relay_pool(caf::actor_system& sys, std::size_t size) {
  for (std::size_t i = 0; i < std::max<std::size_t>(size, 1); ++i)
    relays_.push_back(sys.spawn(relay_behavior, i));
}

void relay_pool::post(relay_job job) {
  auto i = next_.fetch_add(1, std::memory_order_relaxed) % relays_.size();
  caf::anon_send(relays_[i], std::move(job));
}

void relay_pool::stop() {
  for (auto& r : relays_) caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
}

} // namespace ff
