#include "http/error_mapping.hpp"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "http/json_codec.hpp"

namespace ff {

namespace {

bool one_of(std::string_view code, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), code) != set.end();
}

// Table 1.5b: named conflicts keep their code as `kind`.
std::string conflict_kind(const std::string& code) {
  if (one_of(code, {"dependency_already_exists", "cycle_detected", "self_referencing_edge",
                    "execution_already_in_flow", "waitpoint_already_exists",
                    "budget_attach_conflict", "quota_attach_conflict", "rotation_conflict",
                    "active_attempt_exists"}))
    return code;
  return "conflict";
}

// Table 1.5d.
std::string state_kind(const std::string& code) {
  if (one_of(code, {"execution_not_terminal", "max_replays_exhausted", "replay_not_allowed",
                    "not_runnable", "terminal", "flow_already_terminal", "budget_exceeded",
                    "budget_soft_exceeded"}))
    return code;
  if (one_of(code, {"already_satisfied", "duplicate_signal", "ok_already_applied",
                    "attempt_already_terminal", "stream_already_closed", "lease_expired",
                    "lease_revoked"}))
    return "already_satisfied";
  return "state_conflict";
}

} // namespace

error_rendering render_error(const engine_error& e) {
  error_rendering r;
  r.error = e.text();
  switch (e.kind) {
    case error_kind::invalid_input:
    case error_kind::validation:
      r.status = 400;
      // decisions.md §2: an empty or expired waitpoint token is plain bad input.
      if (e.code == "missing_token" || e.code == "token_expired") {
        r.kind = "invalid_input";
        r.retryable = 0;
      } else {
        r.kind = e.code.empty() ? "invalid_input" : e.code;
      }
      break;
    case error_kind::not_found:
      r.status = 404;
      break;
    case error_kind::conflict:
      r.status = 409;
      r.kind = conflict_kind(e.code);
      r.retryable = 0;
      break;
    case error_kind::contention:
      if (e.code == "rate_limit_exceeded" || e.code == "concurrency_limit_exceeded") {
        r.status = 429;
        r.kind = e.code;
        r.retryable = 1;
        r.retry_after = true;
      } else if (e.code == "retry_exhausted") {
        r.status = 500;
        r.kind = e.code;
        r.retryable = 0;
      } else {
        r.status = 409;
        r.kind = "contention";
        r.retryable = 1;
      }
      break;
    case error_kind::state:
      r.status = 409;
      r.kind = state_kind(e.code);
      r.retryable = 0;
      break;
    case error_kind::resource_exhausted:
      r.status = 429;
      r.kind = "resource_exhausted";
      r.retryable = 1;
      r.retry_after = true;
      break;
    case error_kind::unavailable:
      r.status = 503;
      r.kind = "unavailable";
      r.retryable = e.retryable ? 1 : 0;
      r.retry_after = e.retryable;
      break;
    // decisions.md §2c: a store that cannot be reached, or does not answer
    // in time, is 503 and worth a retry, never a 500.
    case error_kind::transport:
    case error_kind::timeout:
      r.status = 503;
      r.kind = "unavailable";
      r.retryable = 1;
      r.retry_after = true;
      break;
    case error_kind::internal:
      r.status = 500;
      r.retryable = 0;
      break;
  }
  return r;
}

http_response error_response(const engine_error& e) {
  auto r = render_error(e);
  std::optional<bool> retryable;
  if (r.retryable >= 0) retryable = r.retryable == 1;
  auto resp = json_error(r.status, r.error, r.kind, retryable);
  if (r.retry_after) resp.headers.emplace_back("Retry-After", "1");
  return resp;
}

http_response shutting_down_response() {
  return json_error(503, "shutting down", "unavailable", false);
}

} // namespace ff
