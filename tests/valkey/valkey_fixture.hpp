#pragma once
// A private redis-server, the concrete valkey backend on it, and a raw
// connection for asserting on keys directly: the store-layout tests (index
// membership, key cleanup and TTLs, raw Lua replies, library loading,
// transport). Behaviour is asserted in tests/contract. Each test case gets
// its own server.

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/valkey/function_call.hpp"
#include "backends/valkey/keys.hpp"
#include "backends/valkey/redis_connection.hpp"
#include "backends/valkey/valkey_backend.hpp"
#include "backends/valkey/valkey_backend_impl.hpp"
#include "core/ids.hpp"
#include "tests/contract/lifecycle_support.hpp"
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

struct valkey_fixture {
  redis_server server;
  std::unique_ptr<valkey_backend> backend = std::make_unique<valkey_backend>(options_for(server));
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

  // One FCALL of a library function on an execution's key block (ARGV[1]
  // is the execution id), as the backend sends it; the raw envelope, a
  // `[0, code, ...]` answer included.
  lua_envelope fcall_on_execution(const std::string& function, const std::string& eid,
                                  std::vector<std::string> args) {
    args.insert(args.begin(), eid);
    auto env = call_function_raw(raw, function, valkey_keys::exec_block_keys(eid), args);
    REQUIRE_MESSAGE(env.has_value(), (env ? "" : env.error().text()));
    return std::move(*env);
  }
};

} // namespace ff::test
