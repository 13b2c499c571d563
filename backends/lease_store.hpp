#pragma once
// Leases and claims: acquire / grant / claim, renew, the terminal
// operations, priority, progress, revoke and the reclaim grant
// (execution-model.md §4-§6, decisions.md §5; valkey:
// valkey/valkey_lifecycle.cpp). Part of engine_backend.
//
// Store rejections come back as classify_store_error(code, detail), e.g.
// stale_lease, execution_not_active, capability_mismatch.

#include <cstdint>

#include "core/expected.hpp"
#include "core/lease.hpp"

namespace ff {

class lease_store {
public:
  virtual ~lease_store() = default;

  // Push dispatch: grant + claim of the first claimable execution among the
  // head (16 entries) of one lane on one partition, in one call.
  virtual expected<acquire_outcome> acquire_next_in_lane(const acquire_args& args) = 0;
  // The reference claim route on one partition: a grant (args.grant_ttl_ms)
  // on the first execution at the head of the lane the worker can run.
  virtual expected<grant_outcome> grant_next_in_lane(const acquire_args& args) = 0;
  // Consumes a grant (of grant_next_in_lane or issue_reclaim_grant): a new
  // attempt (initial / retry / replay from the attempt state), the
  // interrupted attempt continued (type "resumed", after a suspension or a
  // delay), or a reclaim when the lease expired or was revoked (past the
  // reclaim cap the execution fails: max_retries_exhausted).
  virtual expected<claimed_lease> claim_execution(const claim_execution_args& args) = 0;
  // Extends the lease; tells a holder whose execution was cancelled.
  virtual expected<renew_outcome> renew_lease(const renew_lease_args& args) = 0;
  // Terminal operations: a retry with the same fence answers the stored
  // outcome (replayed = true).
  virtual expected<complete_outcome> complete_execution(const complete_args& args) = 0;
  virtual expected<fail_outcome> fail_execution(const fail_args& args) = 0;
  virtual expected<cancel_outcome> cancel_execution(const cancel_args& args) = 0;
  virtual expected<replay_outcome> replay_execution(const replay_args& args) = 0;
  // Returns the clamped priority now in effect.
  virtual expected<std::int32_t> change_priority(const change_priority_args& args) = 0;
  virtual expected<unit> update_progress(const progress_args& args) = 0;
  virtual expected<revoke_outcome> revoke_lease(const revoke_lease_args& args) = 0;
  // A grant on an expired / revoked lease, consumed by claim_execution;
  // not_reclaimable and reclaim_cap_exceeded are outcomes, not errors.
  virtual expected<reclaim_grant_outcome> issue_reclaim_grant(const claim_grant_args& args) = 0;
};

} // namespace ff
