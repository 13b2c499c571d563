#pragma once
// Argument and result structs of the execution lifecycle: claim grants,
// claims, the push-dispatch acquire, renewals, terminal operations,
// reclaim and the scanners (execution-model.md §4-§6). Each has an inspect
// overload so it can travel in actor messages.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/enum_text.hpp"
#include "core/execution.hpp"

namespace ff {

// Default lease length when a worker does not ask for one (SDK default).
constexpr std::int64_t default_lease_ttl_ms = 30'000;
// The lease length a worker may ask for, and a claim grant's.
constexpr std::int64_t min_lease_ttl_ms = 1'000;
constexpr std::int64_t max_lease_ttl_ms = 3'600'000;
constexpr std::int64_t max_grant_ttl_ms = 60'000;
// Longest long-poll (dispatch_request::wait_ms) a worker may ask for on
// acquire and claim (decisions.md §5).
constexpr std::uint32_t max_dispatch_wait_ms = 30'000;

// The fence a lease holder presents (decisions.md §5.1). An empty lease_id
// means "no fence" (only operator_override calls may omit it).
struct lease_fence {
  std::string lease_id;
  std::uint64_t lease_epoch = 0;
  std::uint32_t attempt_index = 0;
  std::string attempt_id;         // optional; checked when set

  bool empty() const { return lease_id.empty(); }
};

// A signal delivered to a suspension, as a resumed attempt receives it.
struct delivered_signal {
  std::string signal_id;
  std::string signal_name;
  std::string source_identity;
  std::string payload;            // as stored
};

// Why an attempt exists (execution-model.md §4.2).
enum class attempt_kind : std::uint8_t { initial, retry, replay, reclaim, resumed };
template <>
struct enum_text<attempt_kind> {
  static constexpr std::array<std::string_view, 5> names{"initial", "retry", "replay", "reclaim",
                                                         "resumed"};
};

// A held lease and what the worker needs to run the attempt (the answer of
// the acquire and claim routes).
struct claimed_lease {
  std::string execution_id;
  std::uint32_t attempt_index = 0;
  std::string attempt_id;
  attempt_kind attempt_type = attempt_kind::initial;
  std::string lease_id;
  std::uint64_t lease_epoch = 0;
  std::int64_t lease_expires_at = 0;
  std::string lane_id;
  std::string execution_kind;
  std::string input_payload;      // as stored
  std::string payload_encoding;
  std::map<std::string, std::string> tags;
  std::string policy_json;        // the stored policy ("{}" when none)
  // A resumed attempt: the signals delivered to the suspension it resumes
  // from, in acceptance order (empty otherwise).
  std::vector<delivered_signal> signals;
};

struct claim_grant_args {
  ff::execution_id execution_id;
  std::string worker_id;
  std::string worker_instance_id;
  std::string lane_id;
  std::string capability_hash;
  std::int64_t grant_ttl_ms = 5000;
  std::string route_snapshot_json;
  std::string admission_summary;
  std::string worker_capabilities; // sorted CSV
};

struct claim_grant {
  std::string execution_id;
  std::string partition_key;      // "{fp:N}"
  std::string grant_key;          // the grant's store key (opaque to clients)
  std::int64_t expires_at_ms = 0;
  std::string lane_id;
};

// claim_execution (a fresh attempt, the interrupted one resumed, or a
// reclaim: the store chooses).
struct claim_execution_args {
  ff::execution_id execution_id;
  std::string worker_id;
  std::string worker_instance_id;
  std::string lane_id;
  std::string lease_id;           // caller-minted UUID
  std::string attempt_id;         // caller-minted UUID (ignored on a resumed claim)
  std::int64_t lease_ttl_ms = default_lease_ttl_ms;
  std::uint32_t default_max_reclaim_count = 0; // 0 = the store default (100)
};

struct acquire_args {
  std::uint16_t partition = 0;
  std::string lane_id;
  std::string worker_id;
  std::string worker_instance_id;
  std::string worker_capabilities; // sorted CSV
  std::string lease_id;
  std::string attempt_id;
  std::int64_t lease_ttl_ms = default_lease_ttl_ms;
  std::int64_t grant_ttl_ms = 5000; // grant_next_in_lane only
};

struct acquire_outcome {
  bool acquired = false;
  claimed_lease lease;            // set when acquired
  // Entries left in the lane's eligible ZSET on that partition after the
  // call, and how many of the inspected ones this worker lacked
  // capabilities for (so the caller does not ask again for nothing).
  std::uint64_t eligible_remaining = 0;
  std::uint32_t skipped_capability = 0;
};

// The answer of grant_next_in_lane (the reference claim route): a grant on
// the first matching execution, or none.
struct grant_outcome {
  bool granted = false;
  claim_grant grant;              // set when granted
  std::uint64_t eligible_remaining = 0;
  std::uint32_t skipped_capability = 0;
};

// A worker asking its lane for work, across every partition (the acquire
// route, and the reference claim route that only issues a grant).
struct dispatch_request {
  std::string lane_id;
  std::string worker_id;
  std::string worker_instance_id;
  std::string worker_capabilities; // sorted CSV
  std::int64_t lease_ttl_ms = default_lease_ttl_ms; // acquire
  std::int64_t grant_ttl_ms = 5000;                 // claim grant
  std::uint32_t wait_ms = 0;      // long-poll: park up to this long (<= max_dispatch_wait_ms)
};

struct renew_lease_args {
  ff::execution_id execution_id;
  lease_fence fence;
  std::int64_t lease_ttl_ms = default_lease_ttl_ms;
  std::int64_t grace_ms = 5000;   // the lease record outlives expiry by this much
};

struct renew_outcome {
  std::int64_t lease_expires_at = 0; // 0 when cancel_requested
  // The execution was cancelled under this very lease: stop working.
  bool cancel_requested = false;
  std::string cancel_reason;
};

struct complete_args {
  ff::execution_id execution_id;
  lease_fence fence;
  std::string result;             // bytes; empty = none
  std::string source = "worker";  // "operator_override" allows an empty fence
};

struct complete_outcome {
  bool replayed = false;          // an earlier identical call already completed it
};

struct fail_args {
  ff::execution_id execution_id;
  lease_fence fence;
  std::string failure_reason;
  std::string failure_category;
  std::string failure_details;    // the worker's error.details as raw JSON; empty = none
  bool retryable = true;          // false = terminal regardless of the retry policy
  std::string source = "worker";
};

// What a failure did to the execution.
enum class fail_disposition : std::uint8_t { retry_scheduled, failed };
template <>
struct enum_text<fail_disposition> {
  static constexpr std::array<std::string_view, 2> names{"retry_scheduled", "failed"};
};

struct fail_outcome {
  fail_disposition outcome = fail_disposition::failed;
  std::int64_t retry_at = 0;      // retry_scheduled only
  bool replayed = false;
};

struct cancel_args {
  ff::execution_id execution_id;
  std::string reason;
  std::string source = "operator_override"; // or lease_holder, flow_cascade, ...
  lease_fence fence;              // required for non-override sources while active
};

struct cancel_outcome {
  std::string previous_phase;     // lifecycle phase before the cancel
  bool replayed = false;
};

struct replay_args {
  ff::execution_id execution_id;
  std::string reason;
  std::string requested_by;
};

struct replay_outcome {
  public_state_kind public_state = public_state_kind::waiting;
  std::uint32_t replay_count = 0;
};

struct change_priority_args {
  ff::execution_id execution_id;
  std::int32_t priority = 0;
};

struct progress_args {
  ff::execution_id execution_id;
  lease_fence fence;
  std::uint32_t pct = 0;          // 0..100
  std::string message;
};

struct revoke_lease_args {
  ff::execution_id execution_id;
  std::string expected_lease_id;  // empty = whatever lease is current
  std::string reason = "operator_revoke";
};

struct revoke_outcome {
  bool revoked = false;
  std::string lease_id;           // revoked only
  std::uint64_t lease_epoch = 0;
  // Not revoked: no_active_lease, already_revoked or already_expired.
  std::string already_satisfied;
};

// not_reclaimable: the detail says why (execution_not_reclaimable or
// "capability_mismatch: <missing>").
enum class reclaim_grant_status : std::uint8_t { granted, not_reclaimable, reclaim_cap_exceeded };
template <>
struct enum_text<reclaim_grant_status> {
  static constexpr std::array<std::string_view, 3> names{"granted", "not_reclaimable",
                                                         "reclaim_cap_exceeded"};
};

struct reclaim_grant_outcome {
  reclaim_grant_status status = reclaim_grant_status::granted;
  claim_grant grant;
  std::string detail;
  std::uint32_t reclaim_count = 0;
};

struct mark_expired_outcome {
  // marked_expired, reclaim_cap_failed, or (nothing done) execution_not_found,
  // not_active, unowned, already_expired, already_revoked, not_yet_expired.
  std::string outcome;
};

struct lane_execution {
  std::string execution_id;
  std::string lane_id;
};

struct lane_count {
  std::string lane_id;
  std::uint64_t count = 0;
};

// One bounded scanner batch on one partition, with the caller's clock.
struct scan_args {
  std::uint16_t partition = 0;
  std::int64_t now_ms = 0;
  std::uint32_t limit = 50;       // 1..1000
  std::vector<std::string> lanes; // promote_delayed, reconcile_indexes
  std::string cursor;             // reconcile_indexes: exclusive start id
};

struct scan_outcome {
  std::uint32_t examined = 0;     // candidates looked at
  std::uint32_t changed = 0;      // executions transitioned (or repairs made)
  std::uint32_t cleaned = 0;      // stale index entries dropped
  std::uint32_t failed = 0;       // expire_leases: reclaim cap reached instead
  std::vector<lane_execution> became_eligible;
  std::vector<lane_count> eligible_by_lane; // reconcile_indexes
  std::string next_cursor;        // reconcile_indexes; empty = done
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_fence& x) {
  return f(x.lease_id, x.lease_epoch, x.attempt_index, x.attempt_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivered_signal& x) {
  return f(x.signal_id, x.signal_name, x.source_identity, x.payload);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claimed_lease& x) {
  return f(x.execution_id, x.attempt_index, x.attempt_id, x.attempt_type, x.lease_id,
           x.lease_epoch, x.lease_expires_at, x.lane_id, x.execution_kind, x.input_payload,
           x.payload_encoding, x.tags, x.policy_json, x.signals);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claim_grant_args& x) {
  return f(x.execution_id, x.worker_id, x.worker_instance_id, x.lane_id, x.capability_hash,
           x.grant_ttl_ms, x.route_snapshot_json, x.admission_summary, x.worker_capabilities);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claim_grant& x) {
  return f(x.execution_id, x.partition_key, x.grant_key, x.expires_at_ms, x.lane_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claim_execution_args& x) {
  return f(x.execution_id, x.worker_id, x.worker_instance_id, x.lane_id, x.lease_id,
           x.attempt_id, x.lease_ttl_ms, x.default_max_reclaim_count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, acquire_args& x) {
  return f(x.partition, x.lane_id, x.worker_id, x.worker_instance_id, x.worker_capabilities,
           x.lease_id, x.attempt_id, x.lease_ttl_ms, x.grant_ttl_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, acquire_outcome& x) {
  return f(x.acquired, x.lease, x.eligible_remaining, x.skipped_capability);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, renew_lease_args& x) {
  return f(x.execution_id, x.fence, x.lease_ttl_ms, x.grace_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, renew_outcome& x) {
  return f(x.lease_expires_at, x.cancel_requested, x.cancel_reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, complete_args& x) {
  return f(x.execution_id, x.fence, x.result, x.source);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, complete_outcome& x) {
  return f(x.replayed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fail_args& x) {
  return f(x.execution_id, x.fence, x.failure_reason, x.failure_category, x.failure_details,
           x.retryable, x.source);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fail_outcome& x) {
  return f(x.outcome, x.retry_at, x.replayed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cancel_args& x) {
  return f(x.execution_id, x.reason, x.source, x.fence);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cancel_outcome& x) {
  return f(x.previous_phase, x.replayed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replay_args& x) {
  return f(x.execution_id, x.reason, x.requested_by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replay_outcome& x) {
  return f(x.public_state, x.replay_count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_priority_args& x) {
  return f(x.execution_id, x.priority);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, progress_args& x) {
  return f(x.execution_id, x.fence, x.pct, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, revoke_lease_args& x) {
  return f(x.execution_id, x.expected_lease_id, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, revoke_outcome& x) {
  return f(x.revoked, x.lease_id, x.lease_epoch, x.already_satisfied);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reclaim_grant_outcome& x) {
  return f(x.status, x.grant, x.detail, x.reclaim_count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mark_expired_outcome& x) {
  return f(x.outcome);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lane_execution& x) {
  return f(x.execution_id, x.lane_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lane_count& x) {
  return f(x.lane_id, x.count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scan_args& x) {
  return f(x.partition, x.now_ms, x.limit, x.lanes, x.cursor);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scan_outcome& x) {
  return f(x.examined, x.changed, x.cleaned, x.failed, x.became_eligible, x.eligible_by_lane,
           x.next_cursor);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, grant_outcome& x) {
  return f(x.granted, x.grant, x.eligible_remaining, x.skipped_capability);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dispatch_request& x) {
  return f(x.lane_id, x.worker_id, x.worker_instance_id, x.worker_capabilities, x.lease_ttl_ms,
           x.grant_ttl_ms, x.wait_ms);
}

} // namespace ff
