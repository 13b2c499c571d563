#pragma once
// The scanner catalogue: every background scanner the node can run, as
// data. A scanner makes one pass over the partitions of its family every
// interval, one bounded batch per partition (rest-api.md §4 names the
// interval variables; an interval of 0 turns a scanner off).

#include <cstdint>
#include <string>
#include <vector>

#include "core/lease.hpp"

namespace ff {

// Each kind names the backend method (and Lua function ff_<kind>) that
// runs one batch.
enum class scan_kind : std::uint8_t {
  expire_leases,
  promote_delayed,
  expire_attempt_timeouts,
  expire_execution_deadlines,
  trim_retention,
  reconcile_indexes,
  expire_suspensions,
  expire_pending_waitpoints,
};

// Which partitions an operation or a scanner works on.
enum class partition_family : std::uint8_t {
  execution, // flow partitions: executions, leases, streams, waitpoints
  flow,      // flow partitions: flow records and edges
  budget,
  quota,
  none,      // node-wide: not bound to a partition
};

struct scanner_spec {
  scan_kind kind;
  const char* name;              // the metric label and the log name
  const char* interval_variable; // the setting that sets its interval (0 = off)
  std::uint32_t batch;           // items per partition per pass
  partition_family family;
  bool carries_cursor;           // resumes each pass where the last stopped
};

// Every scanner, in the order they start.
const std::vector<scanner_spec>& scanner_catalogue();
const scanner_spec& scanner_of(scan_kind kind);
const char* to_string(scan_kind kind);

// One scanner batch on one partition.
struct scanner_batch {
  scan_kind kind = scan_kind::expire_leases;
  scan_args args;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scanner_batch& x) {
  return f(x.kind, x.args);
}

} // namespace ff
