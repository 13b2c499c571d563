#include "core/execution.hpp"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "core/engine_error.hpp"

namespace ff {

namespace {

bool one_of(const std::string& v, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

} // namespace

expected<unit> validate_state_vector(const state_vector& v) {
  auto corrupt = [](const char* field, const std::string& value) {
    return classify_store_error("corrupt_state_vector", std::string(field) + ":" + value);
  };
  if (!one_of(v.lifecycle_phase, {"submitted", "runnable", "active", "suspended", "terminal"}))
    return corrupt("lifecycle_phase", v.lifecycle_phase);
  if (!one_of(v.ownership_state,
              {"unowned", "leased", "lease_expired_reclaimable", "lease_revoked"}))
    return corrupt("ownership_state", v.ownership_state);
  if (!one_of(v.eligibility_state,
              {"eligible_now", "not_eligible_until_time", "blocked_by_dependencies",
               "blocked_by_budget", "blocked_by_quota", "blocked_by_route",
               "blocked_by_lane_state", "blocked_by_operator", "not_applicable"}))
    return corrupt("eligibility_state", v.eligibility_state);
  if (!one_of(v.blocking_reason,
              {"none", "waiting_for_worker", "waiting_for_retry_backoff",
               "waiting_for_resume_delay", "waiting_for_delay", "waiting_for_signal",
               "waiting_for_approval", "waiting_for_callback", "waiting_for_tool_result",
               "waiting_for_children", "waiting_for_budget", "waiting_for_quota",
               "waiting_for_capable_worker", "waiting_for_locality_match", "paused_by_operator",
               "paused_by_policy", "paused_by_flow_cancel"}))
    return corrupt("blocking_reason", v.blocking_reason);
  if (!one_of(v.terminal_outcome, {"none", "success", "failed", "cancelled", "expired", "skipped"}))
    return corrupt("terminal_outcome", v.terminal_outcome);
  if (public_state_kind stored; !parse_enum(v.public_state, stored))
    return corrupt("public_state", v.public_state);
  return unit{};
}

std::string derive_public_state(const state_vector& v) {
  const auto& lp = v.lifecycle_phase;
  if (lp == "terminal") {
    const auto& o = v.terminal_outcome;
    if (o == "success") return "completed";
    if (o == "cancelled" || o == "expired" || o == "skipped") return o;
    return "failed";
  }
  if (lp == "suspended") return "suspended";
  if (lp == "active") return "active";
  if (lp == "runnable") {
    const auto& e = v.eligibility_state;
    if (e == "not_eligible_until_time") return "delayed";
    if (e == "blocked_by_dependencies") return "waiting_children";
    if (e == "blocked_by_budget" || e == "blocked_by_quota") return "rate_limited";
    return "waiting";
  }
  return "waiting";
}

} // namespace ff
