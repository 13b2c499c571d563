#pragma once
// The worker registry (flows-budgets-scanners.md §7; valkey:
// valkey/valkey_scanners.cpp). Part of engine_backend.

#include "core/expected.hpp"
#include "core/worker.hpp"

namespace ff {

class worker_store {
public:
  virtual ~worker_store() = default;

  // Registers a worker instance, or refreshes its liveness (a heartbeat is a
  // repeated registration): registered / refreshed; another worker_id on the
  // same instance id is a conflict.
  virtual expected<worker_liveness> register_worker(const register_worker_args& args) = 0;
};

} // namespace ff
