#pragma once
// Scanners: one bounded batch on one partition per call, on the caller's
// clock (args.now_ms), and the eligible-work counts boot reads (valkey:
// valkey/valkey_scanners.cpp, valkey/valkey_suspension.cpp). Part of
// engine_backend.

#include <cstdint>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/lease.hpp"

namespace ff {

class scanner_store {
public:
  virtual ~scanner_store() = default;

  // Lease expiry: marks expired and requeues for reclaim (became_eligible).
  virtual expected<scan_outcome> expire_leases(const scan_args& args) = 0;
  // Delayed (retry backoff, delay_until) -> eligible for args.lanes.
  virtual expected<scan_outcome> promote_delayed(const scan_args& args) = 0;
  virtual expected<scan_outcome> expire_attempt_timeouts(const scan_args& args) = 0;
  virtual expected<scan_outcome> expire_execution_deadlines(const scan_args& args) = 0;
  // Deletes terminal executions past their retention (24 h or
  // stream_policy.retention_ttl_ms) with all their keys.
  virtual expected<scan_outcome> trim_retention(const scan_args& args) = 0;
  // Repairs index membership and public_state for a page of executions
  // (args.cursor / next_cursor) and reports eligible counts for args.lanes.
  virtual expected<scan_outcome> reconcile_indexes(const scan_args& args) = 0;
  // Due suspension timeouts (§7.8; auto_resume -> became_eligible) and
  // pending waitpoints past expires_at (closed never_committed).
  virtual expected<scan_outcome> expire_suspensions(const scan_args& args) = 0;
  virtual expected<scan_outcome> expire_pending_waitpoints(const scan_args& args) = 0;
  // Eligible entries per lane on one partition (boot-time ready sets).
  virtual expected<std::vector<lane_count>> count_eligible(
      std::uint16_t partition, const std::vector<std::string>& lanes) = 0;
  // Every lane with eligible work on any partition (at boot: lanes outside
  // FF_LANES get their ready sets rebuilt too). Walks the whole store.
  virtual expected<std::vector<std::string>> lanes_with_eligible_work() = 0;
};

} // namespace ff
