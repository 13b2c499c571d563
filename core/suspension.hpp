#pragma once
// Argument and result structs of suspension, waitpoints and signals
// (execution-model.md §7, decisions.md §5.1), and the validation of resume
// conditions. Each struct has an inspect overload so it can travel in actor
// messages.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/enum_text.hpp"

#include "core/expected.hpp"
#include "core/lease.hpp"

namespace ff {

constexpr std::size_t max_waitpoints_per_suspension = 16;
constexpr std::size_t max_resume_condition_depth = 4;
constexpr std::int64_t default_signal_dedup_ttl_ms = 86'400'000;
constexpr std::int64_t max_suspend_dedup_ttl_ms = 604'800'000;
constexpr std::uint32_t default_signal_maxlen = 1000;
constexpr std::uint32_t default_max_signals_per_execution = 10'000;
constexpr std::uint32_t max_pending_waitpoints_page = 1000;
constexpr std::size_t max_waitpoint_key_bytes = 256;
// Ceiling of a suspension's timeout_ms and a pending waitpoint's
// expires_in_ms: one year.
constexpr std::int64_t max_wait_duration_ms = 31'536'000'000;

// One waitpoint of a suspend call: fresh (id minted by the node, key given
// or `wpk:<id>`, token minted by the node), or the activation of a pending
// waitpoint of the same execution and attempt, named by id (its key and
// token are the stored ones).
struct waitpoint_request {
  std::string waitpoint_id;
  std::string waitpoint_key;      // fresh: empty = "wpk:<waitpoint_id>"
  std::string waitpoint_token;    // fresh only
  bool activate_pending = false;
};

struct suspend_args {
  ff::execution_id execution_id;
  lease_fence fence;              // mandatory
  std::string suspension_id;      // node-minted UUID
  std::string reason_code = "waiting_for_signal";
  std::string requested_by = "worker";
  std::vector<waitpoint_request> waitpoints; // 1..16
  // decisions.md §5.1 form; the backend validates and normalizes it with
  // parse_resume_condition.
  std::string resume_condition_json;
  std::string resume_policy_json; // stored only; empty = none
  std::int64_t timeout_at = 0;    // absolute ms; 0 = no timeout
  std::string timeout_behavior = "fail"; // fail, cancel, expire, auto_resume, escalate
  std::string idempotency_key;    // empty = none
  std::int64_t dedup_ttl_ms = 0;  // 0 = suspend_dedup_ttl_ms(timeout_at, now)
};

struct waitpoint_binding {
  std::string waitpoint_id;
  std::string waitpoint_key;
  std::string waitpoint_token;
};

// already_satisfied: buffered signals of an activated pending waitpoint
// already satisfy the condition; the caller keeps its lease and nothing
// else changed.
enum class suspend_status : std::uint8_t { suspended, already_satisfied };
template <>
struct enum_text<suspend_status> {
  static constexpr std::array<std::string_view, 2> names{"suspended", "already_satisfied"};
};

struct suspend_outcome {
  std::string suspension_id;
  suspend_status status = suspend_status::suspended;
  std::vector<waitpoint_binding> waitpoints;
  // already_satisfied: the buffered signals of the activated waitpoints, in
  // acceptance order (the caller goes on with them instead of suspending).
  std::vector<delivered_signal> signals;
};

struct create_pending_waitpoint_args {
  ff::execution_id execution_id;
  lease_fence fence;              // the current lease
  std::string waitpoint_id;       // node-minted UUID
  std::string waitpoint_key;      // empty = "wpk:<waitpoint_id>"
  std::string waitpoint_token;    // node-minted
  std::int64_t expires_at = 0;    // 0 = never (until the execution ends)
};

// deliver_signal (buffered when the waitpoint is pending). The node verifies
// the waitpoint token first (verify_waitpoint_token); the store does not.
struct deliver_signal_args {
  ff::execution_id execution_id;
  std::string waitpoint_id;
  std::string signal_id;          // client-minted UUID
  std::string signal_name;
  std::string signal_category;
  std::string source_type;
  std::string source_identity;
  std::string payload;            // bytes; empty = none
  std::string payload_encoding = "json";
  std::string idempotency_key;    // dedup per waitpoint; empty = none
  std::string correlation_id;
  std::string target_scope = "waitpoint";
  std::int64_t created_at = 0;    // 0 = the store's clock
  std::int64_t dedup_ttl_ms = default_signal_dedup_ttl_ms;
  std::int64_t resume_delay_ms = 0;
  std::uint32_t signal_maxlen = default_signal_maxlen;
  std::uint32_t max_signals_per_execution = default_max_signals_per_execution; // 0 = no limit
};

struct deliver_signal_outcome {
  bool duplicate = false;         // the idempotency key (or signal id) was seen
  std::string signal_id;          // the accepted signal, or the first one on a duplicate
  // resume_condition_satisfied, appended_to_waitpoint,
  // appended_to_waitpoint_duplicate, signal_ignored_not_in_condition,
  // signal_ignored_matcher_failed, buffered_for_pending_waitpoint
  std::string effect;
  std::string lane_id;            // the execution's lane
  bool became_eligible = false;   // resumed into the lane's eligible queue now
};

struct list_pending_waitpoints_args {
  ff::execution_id execution_id;
  std::string cursor;             // exclusive waitpoint id; empty = start
  std::uint32_t limit = 100;      // 1..1000
};

// rest-api.md §2.4.
struct pending_waitpoint_info {
  std::string waitpoint_id;
  std::string waitpoint_key;
  std::string state;              // pending | active
  std::vector<std::string> required_signal_names; // empty = any name matches
  std::int64_t created_at = 0;
  std::int64_t activated_at = 0;  // 0 = omitted (pending)
  std::int64_t expires_at = 0;    // 0 = omitted (no timeout)
  std::string execution_id;
  std::string token_kid;
  std::string token_fingerprint;
};

struct pending_waitpoint_page {
  std::vector<pending_waitpoint_info> waitpoints;
  std::string next_cursor;        // empty = no more
};

struct rotate_secret_outcome {
  std::string status;             // "rotated" or "noop"
  std::string previous_kid;       // rotated: the kid now retired ("" if none)
  std::string new_kid;
  std::uint32_t gc_count = 0;     // expired kids removed by this rotation
};

// Validates a resume condition of decisions.md §5.1 and returns it as
// compact normalized JSON (fixed field order, `signal_name` omitted when
// null, i.e. any name). Errors are invalid_input naming the problem.
// `waitpoint_keys` are the keys of the suspension's waitpoints; every key
// the condition names must be one of them. A pending waitpoint activated by
// id has a key only the store knows: pass all_keys_known = false and the
// store checks the keys instead.
expected<std::string> parse_resume_condition(std::string_view json,
                                             const std::vector<std::string>& waitpoint_keys,
                                             bool all_keys_known = true);

bool is_valid_timeout_behavior(std::string_view behavior);

// A condition normalised by parse_resume_condition whose type is
// timeout_only (satisfied by the timeout alone).
bool is_timeout_only_condition(std::string_view normalized);

// The rules of a suspend call that hold wherever its arguments come from
// (the codec checks them on the request, a backend on what it is handed):
// 1..=16 waitpoints;
expected<unit> check_waitpoint_count(std::size_t count);
// a known timeout_behavior, a resume condition over `fresh_keys` (any key
// when `activates_pending`: only the store knows the pending ones), and
// timeout_only only with a timeout (a.timeout_at set). The condition,
// normalised.
expected<std::string> check_suspend_condition(const suspend_args& a,
                                              const std::vector<std::string>& fresh_keys,
                                              bool activates_pending);

// A suspend call as the worker stated it, its shape already checked:
// `args` holds the waitpoints as given (a pending one by id, with
// activate_pending; a fresh one with its key, if any), the resume condition
// as sent, and the other fields; the rest says what the request left out.
struct suspend_input {
  suspend_args args;
  bool reason_given = false;               // reason_code was sent
  std::vector<bool> key_given;             // per waitpoint: waitpoint_key was sent
  std::optional<std::uint64_t> timeout_ms; // relative; none = no timeout
  std::int64_t now_ms = 0;                 // turns timeout_ms into timeout_at
};

// The suspend rules of decisions.md §5.1, in this order: a sent reason_code
// is not empty; 1..=16 waitpoints, each either fresh (a key, or none: the
// node names it) or pending (an id), no key or id twice, a key 1..=256
// bytes; timeout_ms in 1..=max_wait_duration_ms; a known timeout_behavior;
// the resume condition (whose keys must name fresh waitpoints unless a
// pending one is activated: then only the store knows every key); and
// timeout_only needs timeout_ms. Errors are invalid_input carrying the 400
// text. The result has timeout_at set and the condition normalised; ids,
// tokens and suspension_id are still the node's to mint.
expected<suspend_args> validate_suspend_args(suspend_input in);

// A pending waitpoint as the worker asked for it (shape already checked).
struct pending_waitpoint_input {
  create_pending_waitpoint_args args;
  bool key_given = false;                     // waitpoint_key was sent
  std::optional<std::uint64_t> expires_in_ms; // relative; none = never
  std::int64_t now_ms = 0;                    // turns expires_in_ms into expires_at
};

// A sent key is 1..=256 bytes; expires_in_ms in 1..=max_wait_duration_ms.
// Errors as validate_suspend_args; the result has expires_at set.
expected<create_pending_waitpoint_args> validate_pending_waitpoint_args(
    pending_waitpoint_input in);

// How long a suspend idempotency key is remembered: until a minute past the
// timeout, at most 7 days (the reference client's rule).
std::int64_t suspend_dedup_ttl_ms(std::int64_t timeout_at, std::int64_t now_ms);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, waitpoint_request& x) {
  return f(x.waitpoint_id, x.waitpoint_key, x.waitpoint_token, x.activate_pending);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, suspend_args& x) {
  return f(x.execution_id, x.fence, x.suspension_id, x.reason_code, x.requested_by,
           x.waitpoints, x.resume_condition_json, x.resume_policy_json, x.timeout_at,
           x.timeout_behavior, x.idempotency_key, x.dedup_ttl_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, waitpoint_binding& x) {
  return f(x.waitpoint_id, x.waitpoint_key, x.waitpoint_token);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, suspend_outcome& x) {
  return f(x.suspension_id, x.status, x.waitpoints, x.signals);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_pending_waitpoint_args& x) {
  return f(x.execution_id, x.fence, x.waitpoint_id, x.waitpoint_key, x.waitpoint_token,
           x.expires_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deliver_signal_args& x) {
  return f(x.execution_id, x.waitpoint_id, x.signal_id, x.signal_name, x.signal_category,
           x.source_type, x.source_identity, x.payload, x.payload_encoding, x.idempotency_key,
           x.correlation_id, x.target_scope, x.created_at, x.dedup_ttl_ms, x.resume_delay_ms,
           x.signal_maxlen, x.max_signals_per_execution);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deliver_signal_outcome& x) {
  return f(x.duplicate, x.signal_id, x.effect, x.lane_id, x.became_eligible);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_pending_waitpoints_args& x) {
  return f(x.execution_id, x.cursor, x.limit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pending_waitpoint_info& x) {
  return f(x.waitpoint_id, x.waitpoint_key, x.state, x.required_signal_names, x.created_at,
           x.activated_at, x.expires_at, x.execution_id, x.token_kid, x.token_fingerprint);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pending_waitpoint_page& x) {
  return f(x.waitpoints, x.next_cursor);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rotate_secret_outcome& x) {
  return f(x.status, x.previous_kid, x.new_kid, x.gc_count);
}

} // namespace ff
