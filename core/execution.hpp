#pragma once
// Argument and result structs of the execution operations. They travel in
// actor messages (each has an inspect overload, so it can cross nodes) and
// into every engine_backend implementation.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/enum_text.hpp"
#include "core/expected.hpp"
#include "core/ids.hpp"

namespace ff {

// Priority is clamped into this range by every backend (keeps the queue
// score `created_at - priority * 10^12` exact in a double).
constexpr std::int32_t min_priority = 0;
constexpr std::int32_t max_priority = 9000;
// The longest retry backoff a policy may ask for (365 days): create refuses
// more, and the store clamps to it, so a retry time is always exact.
constexpr std::uint64_t max_retry_delay_ms = 31'536'000'000ULL;
// Bounds of an exponential backoff's multiplier.
constexpr double min_backoff_multiplier = 1.0;
constexpr double max_backoff_multiplier = 1000.0;

// The largest epoch-ms time the store holds exactly (15 digits, about the
// year 33658): later delays and deadlines are refused at create.
constexpr std::int64_t max_epoch_ms = 999'999'999'999'999LL;

// Creation idempotency keys are remembered this long.
constexpr std::int64_t idempotency_ttl_ms = 86'400'000;

struct create_execution_args {
  ff::execution_id execution_id; // `{fp:N}:<uuid>`, its text verbatim
  std::string namespace_name;
  std::string lane_id;
  std::string execution_kind;
  std::string input_payload;      // bytes as text
  std::string payload_encoding;
  std::int32_t priority = 0;      // already clamped
  std::string creator_identity;
  std::string idempotency_key;    // empty = none
  std::map<std::string, std::string> tags;
  std::string policy_json = "{}"; // the policy as submitted (normalised JSON)
  std::string required_capabilities; // sorted CSV, empty = any worker
  std::string budget_ids;         // CSV of budget UUIDs attached at create
  std::string quota_policy_id;    // empty = none
  std::int64_t delay_until = 0;   // 0 = none; a past value means eligible now
  std::int64_t execution_deadline_at = 0; // 0 = none
  std::int64_t now_ms = 0;        // the caller's clock (informational)
};

// The state a client sees (execution-model.md §3.3), derived from the
// state vector.
enum class public_state_kind : std::uint8_t {
  waiting,
  delayed,
  rate_limited,
  waiting_children,
  active,
  suspended,
  resumable,
  completed,
  failed,
  cancelled,
  expired,
  skipped,
};
template <>
struct enum_text<public_state_kind> {
  static constexpr std::array<std::string_view, 12> names{
      "waiting", "delayed", "rate_limited", "waiting_children", "active",  "suspended",
      "resumable", "completed", "failed",    "cancelled",        "expired", "skipped"};
};

struct create_execution_outcome {
  bool created = false;           // false: duplicate (id or idempotency key)
  std::string execution_id;       // the original id on a duplicate
  // Created: waiting or delayed. A duplicate reports no state.
  public_state_kind public_state = public_state_kind::waiting;
};

// The seven-field state vector, as wire strings (execution-model.md §3.2).
struct state_vector {
  std::string lifecycle_phase;
  std::string ownership_state;
  std::string eligibility_state;
  std::string blocking_reason;
  std::string terminal_outcome;
  std::string attempt_state;
  std::string public_state;
};

// Checks the enum fields of a stored state vector (rest-api.md §2.2); the
// error names the first field that holds something else (store corruption).
expected<unit> validate_state_vector(const state_vector& v);

// The client-visible label of a state vector (execution-model.md §3.3 with
// decisions.md §3: capability, lane and operator blocks show `waiting`,
// budget and quota blocks `rate_limited`).
std::string derive_public_state(const state_vector& v);

struct execution_info {
  std::string execution_id;
  std::string namespace_name;
  std::string lane_id;
  std::int32_t priority = 0;
  std::string execution_kind;
  state_vector state;
  std::int64_t created_at = 0;
  std::int64_t started_at = 0;    // 0 = not started (omitted on the wire)
  std::int64_t completed_at = 0;  // 0 = not terminal (omitted on the wire)
  std::uint32_t current_attempt_index = 0;
  std::string flow_id;            // empty = not a flow member (null on the wire)
  std::string blocking_detail;
  // What operators look for: the last failure (code, message, and the raw
  // JSON `details` the worker sent), the progress report, the cancel reason.
  std::string last_error_code;
  std::string last_error_message;
  std::string last_error_details; // raw JSON text; empty = none
  std::int32_t progress_pct = -1; // -1 = never reported
  std::string progress_message;
  std::string cancel_reason;      // empty = not cancelled with a reason
};

// POST /v1/executions/batch: executions of one partition, created in
// order, each on its own (an item's failure does not undo the others).
constexpr std::size_t max_create_batch = 1000;

struct create_batch_args {
  std::vector<create_execution_args> items;
};

// One item's answer: its outcome, or the error it alone met.
struct create_batch_item {
  bool ok = false;
  create_execution_outcome outcome;
  engine_error error;
};

struct create_batch_outcome {
  std::vector<create_batch_item> items; // in the order of the arguments
};

struct list_executions_args {
  std::uint16_t partition = 0;
  std::string cursor;             // exclusive start; empty = from the beginning
  std::uint32_t limit = 50;       // already capped to 1000
};

struct execution_page {
  std::vector<std::string> execution_ids; // ascending byte order
  std::string next_cursor;                // empty = no more
};

struct execution_result {
  bool found = false;
  std::string bytes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_execution_args& x) {
  return f(x.execution_id, x.namespace_name, x.lane_id, x.execution_kind,
           x.input_payload, x.payload_encoding, x.priority, x.creator_identity,
           x.idempotency_key, x.tags, x.policy_json, x.required_capabilities, x.budget_ids,
           x.quota_policy_id, x.delay_until, x.execution_deadline_at, x.now_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_execution_outcome& x) {
  return f(x.created, x.execution_id, x.public_state);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_batch_args& x) {
  return f(x.items);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_batch_item& x) {
  return f(x.ok, x.outcome, x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_batch_outcome& x) {
  return f(x.items);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, state_vector& x) {
  return f(x.lifecycle_phase, x.ownership_state, x.eligibility_state, x.blocking_reason,
           x.terminal_outcome, x.attempt_state, x.public_state);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_info& x) {
  return f(x.execution_id, x.namespace_name, x.lane_id, x.priority, x.execution_kind, x.state,
           x.created_at, x.started_at, x.completed_at, x.current_attempt_index, x.flow_id,
           x.blocking_detail, x.last_error_code, x.last_error_message, x.last_error_details,
           x.progress_pct, x.progress_message, x.cancel_reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_executions_args& x) {
  return f(x.partition, x.cursor, x.limit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_page& x) {
  return f(x.execution_ids, x.next_cursor);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_result& x) {
  return f(x.found, x.bytes);
}

} // namespace ff
