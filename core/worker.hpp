#pragma once
// Argument and result structs of the worker registry (flows-budgets-
// scanners.md §7). Each has an inspect overload so it can travel in actor
// messages.

#include <cstdint>
#include <string>
#include <vector>

namespace ff {

struct register_worker_args {
  std::string namespace_name = "default";
  std::string worker_id;          // pool identity
  std::string worker_instance_id; // one process / boot
  std::vector<std::string> lanes;
  std::string capabilities;       // sorted CSV
  std::int64_t ttl_ms = 60'000;   // liveness without a heartbeat
  std::int64_t now_ms = 0;
};

struct heartbeat_worker_args {
  std::string namespace_name = "default";
  std::string worker_instance_id;
  std::int64_t now_ms = 0;
};

struct worker_liveness {
  std::string status;             // registered, refreshed, or not_registered (re-register)
  std::int64_t next_expiry_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_worker_args& x) {
  return f(x.namespace_name, x.worker_id, x.worker_instance_id, x.lanes, x.capabilities,
           x.ttl_ms, x.now_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, heartbeat_worker_args& x) {
  return f(x.namespace_name, x.worker_instance_id, x.now_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_liveness& x) {
  return f(x.status, x.next_expiry_ms);
}

} // namespace ff
