#pragma once
// The progress line on stderr: elapsed time, done/total and rate. On a
// terminal it rewrites one line; otherwise it prints a line every few
// seconds so logs stay short.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace ffbench {

class progress {
public:
  progress();
  // Starts a new phase of a run ("s1 run 2/5 drain").
  void begin(std::string label, std::uint64_t total);
  void add(std::uint64_t n = 1) { done_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  // Prints when due (or always with force). Call from one thread only.
  void tick(bool force = false);
  // Prints the final state of the phase and ends the line.
  void end();

private:
  using clock = std::chrono::steady_clock;
  std::string label_;
  std::uint64_t total_ = 0;
  std::atomic<std::uint64_t> done_{0};
  clock::time_point start_{};
  clock::time_point last_print_{};
  bool tty_ = false;
  bool active_ = false;
};

} // namespace ffbench
