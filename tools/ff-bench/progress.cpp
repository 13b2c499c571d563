#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace ffbench {

progress::progress() : tty_(isatty(STDERR_FILENO) == 1) {}

void progress::begin(std::string label, std::uint64_t total) {
  if (active_) end();
  label_ = std::move(label);
  total_ = total;
  done_.store(0);
  start_ = clock::now();
  last_print_ = start_;
  active_ = true;
}

void progress::tick(bool force) {
  if (!active_) return;
  auto now = clock::now();
  auto interval = tty_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(5000);
  if (!force && now - last_print_ < interval) return;
  last_print_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  auto d = done();
  double rate = elapsed > 0 ? static_cast<double>(d) / elapsed : 0;
  std::fprintf(stderr, "%s%-34s %7.1f s  %llu/%llu  %.0f/s%s", tty_ ? "\r" : "", label_.c_str(),
               elapsed, static_cast<unsigned long long>(d),
               static_cast<unsigned long long>(total_), rate, tty_ ? "   " : "\n");
  std::fflush(stderr);
}

void progress::end() {
  if (!active_) return;
  tick(true);
  if (tty_) std::fputc('\n', stderr);
  active_ = false;
}

} // namespace ffbench
