#pragma once
// Whether the store can be reached, as far as this node knows. A prober
// keeps it current (actors/store_probe_actor.hpp); a backend call that
// fails on the connection marks it down at once. While it is down, calls
// fail fast with 503 instead of queueing behind a dead connection, and
// /healthz answers from it without asking the store.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "core/clock.hpp"

namespace ff {

class store_health {
public:
  struct status {
    bool up = true;
    std::string reason;          // why it is down; empty when up
    std::int64_t since_ms = 0;   // when it went down (epoch ms); 0 when up
  };

  bool down() const { return down_.load(std::memory_order_acquire); }
  // How many times the store went down so far: a connection opened before
  // the latest outage should be replaced rather than trusted.
  std::uint64_t outages() const { return outages_.load(std::memory_order_acquire); }

  void mark_up() {
    if (!down()) return;
    std::lock_guard<std::mutex> lock(mu_);
    down_.store(false, std::memory_order_release);
    reason_.clear();
    since_ms_ = 0;
  }

  void mark_down(std::string reason) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!down_.load(std::memory_order_relaxed)) {
      since_ms_ = now_ms();
      outages_.fetch_add(1, std::memory_order_acq_rel);
    }
    reason_ = std::move(reason);
    down_.store(true, std::memory_order_release);
  }

  status snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status{!down_.load(std::memory_order_relaxed), reason_, since_ms_};
  }

private:
  std::atomic<bool> down_{false};
  std::atomic<std::uint64_t> outages_{0};
  mutable std::mutex mu_;
  std::string reason_;
  std::int64_t since_ms_ = 0;
};

} // namespace ff
