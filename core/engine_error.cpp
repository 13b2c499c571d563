#include "core/engine_error.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace ff {

namespace {

bool in(std::string_view code, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), code) != set.end();
}

engine_error make(error_kind kind, std::string code, std::string detail, bool retryable) {
  engine_error e;
  e.kind = kind;
  e.code = std::move(code);
  e.detail = std::move(detail);
  e.retryable = retryable;
  return e;
}

} // namespace

engine_error engine_error::invalid_input(std::string message) {
  engine_error e = make(error_kind::invalid_input, "invalid_input", {}, false);
  e.message = std::move(message);
  return e;
}

engine_error engine_error::validation(std::string code, std::string detail) {
  return make(error_kind::validation, std::move(code), std::move(detail), false);
}

engine_error engine_error::not_found(std::string message) {
  engine_error e = make(error_kind::not_found, "not_found", {}, false);
  e.message = std::move(message);
  return e;
}

engine_error engine_error::resource_exhausted(std::string pool, std::uint64_t max) {
  engine_error e = make(error_kind::resource_exhausted, std::move(pool), {}, true);
  e.limit = max;
  return e;
}

engine_error engine_error::unavailable(std::string op) {
  return make(error_kind::unavailable, "unavailable", std::move(op), false);
}

engine_error engine_error::store_unavailable(std::string reason) {
  engine_error e = make(error_kind::unavailable, "store_unavailable", std::move(reason), true);
  e.message = "store unavailable: " + e.detail;
  return e;
}

engine_error engine_error::transport(std::string detail) {
  return make(error_kind::transport, "transport", std::move(detail), true);
}

engine_error engine_error::timeout(std::string detail) {
  return make(error_kind::timeout, "timeout", std::move(detail), true);
}

engine_error engine_error::internal(std::string detail) {
  return make(error_kind::internal, "internal", std::move(detail), false);
}

std::string engine_error::text() const {
  if (!message.empty())
    return message;
  switch (kind) {
    case error_kind::invalid_input:
    case error_kind::validation:
      return detail.empty() ? code : code + ": " + detail;
    case error_kind::not_found:
      return "not found: " + detail;
    case error_kind::resource_exhausted:
      return "too many concurrent " + code + " calls (server max: " + std::to_string(limit) +
             "); retry with backoff";
    case error_kind::unavailable:
      return "backend op unavailable: " + detail;
    case error_kind::transport:
    case error_kind::timeout:
      return "backend: " + detail;
    case error_kind::conflict:
    case error_kind::contention:
    case error_kind::state:
      return detail.empty() ? code : code + ": " + detail;
    case error_kind::internal:
      return "engine: " + detail;
  }
  return detail;
}

const char* to_string(error_kind kind) {
  switch (kind) {
    case error_kind::invalid_input: return "invalid_input";
    case error_kind::validation: return "validation";
    case error_kind::not_found: return "not_found";
    case error_kind::conflict: return "conflict";
    case error_kind::contention: return "contention";
    case error_kind::state: return "state";
    case error_kind::resource_exhausted: return "resource_exhausted";
    case error_kind::unavailable: return "unavailable";
    case error_kind::transport: return "transport";
    case error_kind::timeout: return "timeout";
    case error_kind::internal: return "internal";
  }
  return "internal";
}

engine_error classify_store_error(const std::string& code, const std::string& detail) {
  // a) validation -> 400
  if (in(code, {"invalid_input", "capability_mismatch", "invalid_capabilities",
                "invalid_policy_json", "payload_too_large", "signal_limit_exceeded",
                "invalid_waitpoint_key", "invalid_token", "missing_token", "token_expired",
                "waitpoint_not_token_bound", "retention_limit_exceeded",
                "invalid_lease_for_suspend", "invalid_dependency",
                "invalid_waitpoint_for_execution", "invalid_blocking_reason", "invalid_offset",
                "unauthorized", "invalid_budget_scope", "budget_override_not_allowed",
                "invalid_quota_spec", "invalid_kid", "invalid_secret_hex", "invalid_grace_ms",
                "invalid_tag_key", "invalid_frame_type", "fence_required",
                "partial_fence_triple"}))
    return make(error_kind::validation, code, detail, false);
  // e) not found -> 404, text "not found: <entity>"
  static constexpr std::array<std::string_view, 6> not_found_codes = {
    "execution_not_found", "flow_not_found", "attempt_not_found",
    "budget_not_found", "quota_policy_not_found", "stream_not_found"};
  for (auto nf : not_found_codes) {
    if (code == nf) {
      auto entity = std::string(nf.substr(0, nf.size() - std::string_view("_not_found").size()));
      return make(error_kind::not_found, code, entity, false);
    }
  }
  // b) conflict -> 409
  if (in(code, {"dependency_already_exists", "cycle_detected", "self_referencing_edge",
                "execution_already_in_flow", "waitpoint_already_exists",
                "budget_attach_conflict", "quota_attach_conflict", "rotation_conflict",
                "active_attempt_exists", "conflict"}))
    return make(error_kind::conflict, code, detail, false);
  // c) contention
  if (code == "rate_limit_exceeded" || code == "concurrency_limit_exceeded")
    return make(error_kind::contention, code, detail, true);
  if (code == "retry_exhausted")
    return make(error_kind::contention, code, detail, false);
  if (in(code, {"use_claim_resumed_execution", "not_a_resumed_execution",
                "execution_not_leaseable", "lease_conflict", "invalid_claim_grant",
                "claim_grant_expired", "no_eligible_execution", "waitpoint_not_found",
                "waitpoint_pending_use_buffer_script", "stale_graph_revision",
                "execution_not_active", "execution_not_eligible",
                "execution_not_in_eligible_set", "execution_not_reclaimable",
                "no_active_lease"}))
    return make(error_kind::contention, code, detail, true);
  // d) state -> 409
  if (in(code, {"execution_not_terminal", "max_replays_exhausted", "replay_not_allowed",
                "not_runnable", "terminal", "flow_already_terminal", "budget_exceeded",
                "budget_soft_exceeded", "already_satisfied", "duplicate_signal",
                "ok_already_applied", "attempt_already_terminal", "stream_already_closed",
                "lease_expired", "lease_revoked", "stale_lease", "execution_not_suspended",
                "already_suspended", "waitpoint_closed", "target_not_signalable",
                "resume_condition_not_met", "waitpoint_not_pending",
                "pending_waitpoint_expired", "waitpoint_not_open", "stream_closed",
                "stale_owner_cannot_append", "grant_already_exists", "execution_not_in_flow",
                "deps_not_satisfied", "not_blocked_by_deps", "attempt_not_started",
                "execution_not_eligible_for_attempt", "max_retries_exhausted"}))
    return make(error_kind::state, code, detail, false);
  // Anything else the store says is a validation failure we do not know by
  // name (e.g. corruption): a 400 `validation_error`, never a 500 transport.
  return make(error_kind::validation, "validation_error", code + (detail.empty() ? "" : ": " + detail), false);
}

} // namespace ff
