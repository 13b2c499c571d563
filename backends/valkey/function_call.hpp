#pragma once
// Calling one function of the `flowfabric` library and reading its reply
// envelope (execution-model.md §0): success `[1, status, fields...]`,
// failure `[0, code, detail...]`, both normal replies.

#include <string>
#include <string_view>
#include <vector>

#include "backends/valkey/redis_connection.hpp"
#include "core/expected.hpp"

namespace ff {

enum class call_mode : std::uint8_t {
  read_write, // FCALL
  read_only,  // FCALL_RO: the function is registered with flags {'no-writes'}
};

struct lua_envelope {
  bool ok = false;
  std::string status;               // "OK", "DUPLICATE", ... or the error code
  std::vector<redis_value> fields;  // everything after the status

  // Field i as text ("" when absent or not a string / integer).
  std::string field(std::size_t i) const;
  // The failure detail: the fields joined by single spaces.
  std::string detail() const;
};

// Sends the call and parses the envelope; a `[0, code, ...]` answer is
// returned as an envelope with ok=false (for callers that reconcile on the
// detail). Errors are only transport / protocol failures.
expected<lua_envelope> call_function_raw(redis_connection& conn, std::string_view function,
                                         const std::vector<std::string>& keys,
                                         const std::vector<std::string>& args,
                                         call_mode mode = call_mode::read_write);

// One function call of a pipeline: its keys and arguments.
struct function_call_args {
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

// Sends every call of `function` in one round trip. The outer error is a
// transport failure (no reply is known); each reply is parsed as
// call_function would (a `[0, code, ...]` answer becomes its store error).
expected<std::vector<expected<lua_envelope>>> call_function_pipelined(
    redis_connection& conn, std::string_view function,
    const std::vector<function_call_args>& calls);

// As call_function_raw, but a `[0, code, detail...]` answer becomes
// classify_store_error(code, detail).
expected<lua_envelope> call_function(redis_connection& conn, std::string_view function,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args,
                                     call_mode mode = call_mode::read_write);

// A Redis error reply (not a Lua envelope) to the error taxonomy: server
// states a caller may wait out (BUSY, LOADING, cluster redirections) and a
// missing library are transport-class; anything else (a Lua runtime error,
// wrong arguments) is internal, i.e. a bug. `op` names the command.
engine_error classify_redis_error_reply(std::string_view op, const std::string& message);

} // namespace ff
