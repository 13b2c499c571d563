#pragma once
// The storage contract of the engine. One implementation per store
// (valkey/ through the Lua function library, postgres/ through SQL); no
// store-specific type appears here. Implementations are blocking and not
// thread-safe: each backend actor owns one instance (one connection) and
// calls it from its own detached thread.
//
// The operations are declared by area, one abstract class each; the
// valkey implementation is split the same way (valkey/valkey_*.cpp):
//   execution_store.hpp       create, get, state, result, list
//   lease_store.hpp           acquire, grant, claim, renew, terminal
//                             operations, priority, progress, revoke, reclaim
//   attempt_stream_store.hpp  append, read, tail
//   suspension_store.hpp      suspend, waitpoints, signals, the HMAC ring
//   worker_store.hpp          the worker registry
//   scanner_store.hpp         scanner batches and eligible counts
// engine_backend joins them with the store-level calls below; it is the
// type the rest of the code holds. tests/contract runs one suite against
// every implementation.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/attempt_stream_store.hpp"
#include "backends/execution_store.hpp"
#include "backends/lease_store.hpp"
#include "backends/scanner_store.hpp"
#include "backends/suspension_store.hpp"
#include "backends/worker_store.hpp"
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

class engine_backend : public execution_store,
                       public lease_store,
                       public attempt_stream_store,
                       public suspension_store,
                       public worker_store,
                       public scanner_store {
public:
  ~engine_backend() override = default;

  // Store name for logs and metrics ("valkey", "postgres").
  virtual const char* name() const = 0;

  // Boot-time preparation: server capability check, partition-count record
  // (written on first boot, validated after), function library / schema,
  // lane registry. Idempotent; safe to run from several nodes at once.
  virtual expected<backend_boot_report> prepare(const backend_boot_options& opts) = 0;

  // Liveness of the store (healthz).
  virtual expected<unit> ping() = 0;
  // Closes the connection (the next call opens a fresh one): after the
  // store was unreachable, a connection from before may be dead without
  // knowing it, and its first call would fail.
  virtual void drop_connection() = 0;
};

} // namespace ff
