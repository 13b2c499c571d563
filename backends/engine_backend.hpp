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
#include "core/suspension.hpp"
#include "core/waitpoint_token.hpp"
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
  // Closes the connection (the next call opens a fresh one): after the
  // store was unreachable, a connection from before may be dead without
  // knowing it, and its first call would fail.
  virtual void drop_connection() = 0;

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

  // --- suspension, waitpoints, signals (§7; decisions.md §3, §5.1) ----------
  // Tokens are minted and verified by the node (core/waitpoint_token) with
  // the partition's secret ring; the store keeps the ring and each
  // waitpoint's token but never computes a MAC.

  // Boot: installs `kid` when the partition has no current kid, repairs a
  // missing secret of the current kid; leaves another secret alone. Returns
  // installed, repaired, present or kept_existing.
  virtual expected<std::string> seed_waitpoint_hmac_secret(std::uint16_t partition,
                                                           const std::string& kid,
                                                           const std::string& secret_hex) = 0;
  // §7.5 rotation on one partition: invalid_kid / invalid_secret_hex /
  // invalid_grace_ms, rotation_conflict (same kid, other secret), else
  // rotated (or noop for the same kid and secret).
  virtual expected<rotate_secret_outcome> rotate_waitpoint_hmac_secret(
      std::uint16_t partition, const std::string& new_kid, const std::string& secret_hex,
      std::int64_t grace_ms) = 0;
  // The current kid and every retired kid still inside its grace.
  virtual expected<hmac_ring> get_waitpoint_hmac_ring(std::uint16_t partition) = 0;
  // Transition 16 under the full lease fence, binding 1..16 waitpoints (fresh
  // or activated pending ones) under one resume condition.
  virtual expected<suspend_outcome> suspend_execution(const suspend_args& args) = 0;
  // A waitpoint created under the lease ahead of the suspend.
  virtual expected<waitpoint_binding> create_pending_waitpoint(
      const create_pending_waitpoint_args& args) = 0;
  // §7.6 without the token check (the node verifies it first). A pending
  // waitpoint buffers the signal; a satisfying signal resumes the execution
  // (transition 17) and reports its lane so the caller wakes parked claims.
  virtual expected<deliver_signal_outcome> deliver_signal(const deliver_signal_args& args) = 0;
  virtual expected<deliver_signal_outcome> buffer_signal_for_pending_waitpoint(
      const deliver_signal_args& args) = 0;
  // Scanners: due suspension timeouts (§7.8; auto_resume -> became_eligible)
  // and pending waitpoints past expires_at (closed never_committed).
  virtual expected<scan_outcome> expire_suspensions(const scan_args& args) = 0;
  virtual expected<scan_outcome> expire_pending_waitpoints(const scan_args& args) = 0;
  // rest-api.md §2.4 entries (pending and active waitpoints), paginated.
  virtual expected<pending_waitpoint_page> list_pending_waitpoints(
      const list_pending_waitpoints_args& args) = 0;
  // The stored token of a waitpoint of this execution that is not closed;
  // not_found otherwise.
  virtual expected<std::string> get_waitpoint_token(const std::string& execution_id,
                                                    const std::string& waitpoint_id) = 0;

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
  // Every lane with eligible work on any partition (at boot: lanes outside
  // FF_LANES get their ready sets rebuilt too). Walks the whole keyspace.
  virtual expected<std::vector<std::string>> lanes_with_eligible_work() = 0;
};

} // namespace ff
