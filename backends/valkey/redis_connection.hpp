#pragma once
// One synchronous connection to Valkey / Redis (hiredis underneath, kept
// out of this header). Connects lazily; any I/O failure or timeout drops the
// connection and is reported as a transport / timeout engine_error, and the
// next call reconnects. Not thread-safe: one owner, one thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backends/valkey/valkey_backend.hpp"
#include "core/expected.hpp"

struct redisContext;

namespace ff {

// A reply, copied out of hiredis so no hiredis type escapes.
struct redis_value {
  enum class type : std::uint8_t { nil, integer, string, status, error, array };
  type kind = type::nil;
  std::int64_t integer = 0;
  std::string str;                  // string, status and error replies
  std::vector<redis_value> elements;// array replies

  bool is_error() const { return kind == type::error; }
  bool is_string() const { return kind == type::string || kind == type::status; }
};

class redis_connection {
public:
  explicit redis_connection(valkey_options opts);
  ~redis_connection();
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  // Sends one command. A Redis error reply is a value of type error (the
  // caller decides what it means); only connection-level failures are
  // engine_errors.
  expected<redis_value> command(const std::vector<std::string_view>& argv);

  // Sends the commands in one round trip and returns one reply per command.
  expected<std::vector<redis_value>> pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // Changes the reply timeout of this and later connections (a blocking
  // read must wait longer than its BLOCK time).
  void set_command_timeout(std::chrono::milliseconds timeout);

  bool connected() const { return ctx_ != nullptr; }
  void disconnect();
  const valkey_options& options() const { return opts_; }

private:
  expected<unit> ensure_connected();
  // Builds the error for the failed I/O on ctx_, then drops the connection.
  engine_error fail_io(std::string_view what);

  valkey_options opts_;
  redisContext* ctx_ = nullptr;
};

} // namespace ff
