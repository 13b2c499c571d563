#pragma once
// The storage contract of the engine. One implementation per store
// (valkey/ through the Lua function library, postgres/ through SQL); no
// store-specific type appears here. Implementations are blocking and not
// thread-safe: each backend actor owns one instance (one connection) and
// calls it from its own detached thread.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/execution.hpp"
#include "core/expected.hpp"

namespace ff {

struct partition_counts {
  std::uint16_t flow = 256;
  std::uint16_t budget = 32;
  std::uint16_t quota = 32;
};

// What boot needs to prepare the store once per node start.
struct backend_boot_options {
  partition_counts partitions;
  std::vector<std::string> lanes;
  bool force_library_reload = false;
};

struct backend_boot_report {
  std::string server_version;     // e.g. "7.0.15"
  std::string library_version;    // the version now loaded
  bool library_loaded = false;    // true when this boot (re)loaded it
  bool partitions_written = false;// true when this boot wrote the record
};

class engine_backend {
public:
  virtual ~engine_backend() = default;

  // Store name for logs and metrics ("valkey", "postgres").
  virtual const char* name() const = 0;

  // Boot-time preparation: server capability check, partition-count record
  // (written on first boot, validated after), function library / schema,
  // lane registry. Idempotent; safe to run from several nodes at once.
  virtual expected<backend_boot_report> prepare(const backend_boot_options& opts) = 0;

  // Liveness of the store (healthz).
  virtual expected<unit> ping() = 0;

  virtual expected<create_execution_outcome> create_execution(const create_execution_args& args) = 0;
  // Not found -> engine_error of kind not_found (code execution_not_found).
  virtual expected<execution_info> get_execution(const std::string& execution_id) = 0;
  virtual expected<std::string> get_execution_state(const std::string& execution_id) = 0;
  // found=false when the execution is missing, not completed, or trimmed.
  virtual expected<execution_result> get_execution_result(const std::string& execution_id) = 0;
  virtual expected<execution_page> list_executions(const list_executions_args& args) = 0;
};

} // namespace ff
