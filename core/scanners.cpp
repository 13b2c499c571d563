#include "core/scanners.hpp"

namespace ff {

const std::vector<scanner_spec>& scanner_catalogue() {
  using k = scan_kind;
  constexpr auto exec = partition_family::execution;
  static const std::vector<scanner_spec> catalogue{
    {k::expire_leases, "expire_leases", "FF_LEASE_EXPIRY_INTERVAL_MS", 50, exec, false},
    {k::promote_delayed, "promote_delayed", "FF_DELAYED_PROMOTER_INTERVAL_MS", 50, exec, false},
    {k::expire_attempt_timeouts, "expire_attempt_timeouts", "FF_ATTEMPT_TIMEOUT_INTERVAL_S", 50,
     exec, false},
    {k::expire_execution_deadlines, "expire_execution_deadlines",
     "FF_EXECUTION_DEADLINE_INTERVAL_S", 50, exec, false},
    {k::trim_retention, "trim_retention", "FF_RETENTION_TRIMMER_INTERVAL_S", 100, exec, false},
    {k::reconcile_indexes, "reconcile_indexes", "FF_INDEX_RECONCILER_INTERVAL_S", 200, exec, true},
    {k::expire_suspensions, "expire_suspensions", "FF_SUSPENSION_TIMEOUT_INTERVAL_S", 50, exec,
     false},
    {k::expire_pending_waitpoints, "expire_pending_waitpoints", "FF_PENDING_WP_EXPIRY_INTERVAL_S",
     100, exec, false},
  };
  return catalogue;
}

const scanner_spec& scanner_of(scan_kind kind) {
  // The catalogue lists the kinds in declaration order.
  return scanner_catalogue()[static_cast<std::size_t>(kind)];
}

const char* to_string(scan_kind kind) { return scanner_of(kind).name; }

} // namespace ff
