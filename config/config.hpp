#pragma once
// The node's configuration: FF_* environment variables (rest-api.md §4) and
// command-line flags, read once at boot into one immutable struct.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"

namespace ff {

enum class backend_kind { valkey, postgres, sqlite };

// The store connections a node opens by default: the cores, within 2..4.
// One Redis thread serves them all, so more only add threads to wake; on
// 2 cores, 2 connections moved about 15 % more tasks a second than 4
// (docs/BENCHMARKS.md).
std::uint32_t default_backend_pool_size();

// The default of FF_MAX_CONNECTIONS: the descriptors left after a reserve
// for what else the node opens (64 for files, logs and the runtime, one per
// store connection, one per concurrent stream tail), at least 16.
std::uint32_t default_max_connections(std::uint64_t descriptor_limit,
                                      std::uint32_t backend_pool_size,
                                      std::uint32_t max_concurrent_stream_ops);
// The process's soft RLIMIT_NOFILE (unlimited reads as a large number).
std::uint64_t descriptor_limit();

struct node_config {
  // HTTP
  std::string listen_host = "0.0.0.0";
  std::uint16_t listen_port = 9090;
  std::string api_token;                    // empty = auth off
  std::vector<std::string> cors_origins{"*"};
  bool allow_unauthenticated = false;       // FF_ALLOW_UNAUTHENTICATED=1
  unsigned http_threads = 2;                // FF_HTTP_THREADS
  // FF_MAX_CONNECTIONS: open client connections; beyond it a new one gets a
  // canned 503. 0 = default_max_connections() of the limit at server start.
  std::uint32_t max_connections = 0;
  std::uint32_t http_idle_timeout_ms = 60000;   // FF_HTTP_IDLE_TIMEOUT_MS: between requests
  std::uint32_t http_header_timeout_ms = 10000; // FF_HTTP_HEADER_TIMEOUT_MS: one request header

  // Engine
  std::vector<std::string> lanes{"default"};
  std::uint16_t flow_partitions = 256;
  std::uint16_t budget_partitions = 32;
  std::uint16_t quota_partitions = 32;
  std::uint32_t max_concurrent_stream_ops = 64;
  std::string waitpoint_hmac_secret;        // hex; never printed
  std::uint64_t waitpoint_hmac_grace_ms = 86'400'000;

  // Backend
  backend_kind backend = backend_kind::valkey;
  std::string valkey_host = "localhost";
  std::uint16_t valkey_port = 6379;
  bool valkey_tls = false;
  bool valkey_cluster = false;
  std::string postgres_url;                 // never printed in full
  std::uint32_t postgres_pool_size = 10;
  // FF_BACKEND_POOL_SIZE: backend actors / connections; default
  // default_backend_pool_size().
  std::uint32_t backend_pool_size = default_backend_pool_size();
  bool force_lua_reload = false;

  // Lanes outside FF_LANES: at most this many lanes in all (429 beyond),
  // and an unused one retires after this long with no work and no claims.
  std::uint32_t max_lanes = 10000;            // FF_MAX_LANES
  std::uint32_t lane_idle_timeout_ms = 300000; // FF_LANE_IDLE_TIMEOUT_MS

  // Backpressure: queued requests per partition actor before 429.
  std::uint32_t partition_queue_bound = 1024; // FF_PARTITION_QUEUE_BOUND
  std::uint32_t request_timeout_ms = 30000;   // FF_REQUEST_TIMEOUT_MS: actor ask timeout
  // FF_STORE_COMMAND_TIMEOUT_MS: how long one store call may take before the
  // connection is dropped and the call answers 503.
  std::uint32_t store_command_timeout_ms = 5000;

  // Scanner intervals (ms); names follow rest-api.md §4.
  std::map<std::string, std::uint64_t> scanner_intervals_ms;

  // Dev mode
  bool dev_mode = false;                    // --dev or FF_DEV_MODE=1
  std::string data_dir = "./ff-data";       // --data-dir / FF_DATA_DIR
  std::string redis_server_path = "redis-server"; // FF_REDIS_SERVER

  // Logging
  std::string log_level = "info";           // FF_LOG_LEVEL

  bool print_config = false;                // --print-config: print and exit
};

// Environment lookup, injectable for tests.
using env_lookup = std::optional<std::string> (*)(const char* name, void* ctx);

// Reads FF_* variables and argv. On an invalid value the error message is
// the one line to print: "invalid value for <VAR>: <why>". `--help` output
// goes to stdout and is reported through `exit_now` with code 0.
struct config_parse_result {
  std::optional<node_config> config;
  std::string error;      // non-empty: print to stderr, exit 1
  std::string output;     // non-empty: print to stdout (help text)
  bool exit_now = false;  // exit with code 0 after printing output
  // Accepted but doubtful settings (a CORS entry dropped, a boolean that is
  // neither 1/true nor 0/false, an ignored alias): log each at warn level.
  std::vector<std::string> warnings;
};

config_parse_result parse_config(int argc, const char* const* argv, env_lookup env, void* ctx);
config_parse_result parse_config_from_process(int argc, const char* const* argv);

// Human-readable dump with secrets masked ("<set>" / "<unset>").
std::string describe_config(const node_config& cfg);

// The decisions.md §4 check: a non-loopback listen address needs a token.
// Returns an error message, empty when fine.
std::string check_security_defaults(const node_config& cfg);

} // namespace ff
