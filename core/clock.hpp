#pragma once
#include <chrono>
#include <cstdint>

namespace ff {

// Wall-clock milliseconds since the Unix epoch (the wire's TimestampMs).
inline std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace ff
