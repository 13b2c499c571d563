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
#include "core/lease.hpp"
#include "core/stream.hpp"
#include "core/worker.hpp"

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

  // --- lifecycle (execution-model.md §4-§6, decisions.md §5) -------------
  // Store rejections come back as classify_store_error(code, detail), e.g.
  // stale_lease, execution_not_active, capability_mismatch.

  // A claim grant for one worker (§5.4); capability_mismatch carries the
  // missing capabilities (sorted CSV) as detail.
  virtual expected<claim_grant> issue_claim_grant(const claim_grant_args& args) = 0;
  // Consumes the grant: a new attempt (initial / retry / replay from the
  // attempt state), or a reclaim when the lease expired or was revoked.
  virtual expected<claimed_lease> claim_execution(const claim_execution_args& args) = 0;
  // The interrupted attempt continues under a new lease (type "resumed").
  virtual expected<claimed_lease> claim_resumed_execution(const claim_execution_args& args) = 0;
  // Push dispatch: grant + claim of the first claimable execution among the
  // head (16 entries) of one lane on one partition, in one call.
  virtual expected<acquire_outcome> acquire_next_in_lane(const acquire_args& args) = 0;
  // The reference claim route on one partition: a grant (args.grant_ttl_ms)
  // on the first execution at the head of the lane the worker can run.
  virtual expected<grant_outcome> grant_next_in_lane(const acquire_args& args) = 0;
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
  virtual expected<reclaim_grant_outcome> issue_reclaim_grant(const claim_grant_args& args) = 0;
  // Consumes a (re)claim grant on an expired / revoked lease: a new attempt
  // of type "reclaim". Past the reclaim cap the execution fails and the
  // answer is max_retries_exhausted.
  virtual expected<claimed_lease> reclaim_execution(const claim_execution_args& args) = 0;
  virtual expected<mark_expired_outcome> mark_lease_expired_if_due(
      const std::string& execution_id) = 0;

  // --- attempt streams (§8) -----------------------------------------------
  virtual expected<append_frame_outcome> append_frame(const append_frame_args& args) = 0;
  virtual expected<stream_frames> read_attempt_stream(const read_stream_args& args) = 0;
  // Blocks up to block_ms on this backend's connection: use an instance
  // dedicated to tails.
  virtual expected<stream_frames> tail_attempt_stream(const tail_stream_args& args) = 0;

  // --- worker registry ------------------------------------------------------
  virtual expected<worker_liveness> register_worker(const register_worker_args& args) = 0;
  virtual expected<worker_liveness> heartbeat_worker(const heartbeat_worker_args& args) = 0;

  // --- scanners: one bounded batch on one partition per call ----------------
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
  // Eligible entries per lane on one partition (boot-time ready sets).
  virtual expected<std::vector<lane_count>> count_eligible(
      std::uint16_t partition, const std::vector<std::string>& lanes) = 0;
};

} // namespace ff
