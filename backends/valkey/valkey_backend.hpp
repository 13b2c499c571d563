#pragma once
// engine_backend on Valkey / Redis 7.0+: every operation is one FCALL into
// the `flowfabric` function library (lua/), on one partition's hash tag.

#include <chrono>
#include <memory>
#include <string>

#include "backends/engine_backend.hpp"

namespace ff {

struct valkey_options {
  std::string host = "localhost";
  std::uint16_t port = 6379;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{10000};
};

// Connects lazily: a connection failure surfaces as a transport error on the
// first call and the next call reconnects.
std::unique_ptr<engine_backend> make_valkey_backend(const valkey_options& opts);

// The embedded library text and its version (generated from lua/ at build time).
const std::string& flowfabric_library_source();
const std::string& flowfabric_library_version();

} // namespace ff
