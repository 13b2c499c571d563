#pragma once
// A private redis-server, a valkey backend on it, and a raw connection for
// asserting on keys directly. Each test case gets its own server.

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/valkey/keys.hpp"
#include "backends/valkey/redis_connection.hpp"
#include "backends/valkey/valkey_backend.hpp"
#include "core/ids.hpp"
#include "tests/support/redis_server.hpp"

namespace ff::test {

inline valkey_options options_for(const redis_server& server) {
  valkey_options o;
  o.host = server.host();
  o.port = server.port();
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.command_timeout = std::chrono::milliseconds(5000);
  return o;
}

inline backend_boot_options default_boot_options() {
  backend_boot_options b;
  b.lanes = {"default", "gpu"};
  return b;
}

struct valkey_fixture {
  redis_server server;
  std::unique_ptr<engine_backend> backend = make_valkey_backend(options_for(server));
  redis_connection raw{options_for(server)};

  // prepare=false leaves the server without the library.
  explicit valkey_fixture(bool prepare = true) {
    if (prepare) {
      auto report = backend->prepare(default_boot_options());
      REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().text()));
    }
  }

  // Runs a raw command and requires a non-error reply.
  redis_value cmd(const std::vector<std::string_view>& argv) {
    auto r = raw.command(argv);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
    REQUIRE_MESSAGE(!r->is_error(), r->str);
    return std::move(*r);
  }
};

// A valid create request on `partition` with every optional field empty.
inline create_execution_args sample_create_args(std::uint16_t partition = 7,
                                                std::string lane = "default") {
  create_execution_args a;
  a.execution_id = execution_id::mint(partition).value;
  a.partition = partition;
  a.namespace_name = "tenant-a";
  a.lane_id = std::move(lane);
  a.execution_kind = "send_email";
  a.input_payload = R"({"to":"a@example.com"})";
  a.payload_encoding = "json";
  a.priority = 5;
  a.creator_identity = "tester";
  return a;
}

} // namespace ff::test
