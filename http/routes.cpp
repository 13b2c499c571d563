#include "http/routes.hpp"

#include "http/handlers/handlers.hpp"

namespace ff {

const std::vector<route_def>& route_table() {
  constexpr std::uint64_t none = 0;
  constexpr auto large = body_limit_large, medium = body_limit_medium,
                 control = body_limit_control;
  static const std::vector<route_def> table{
      // rest-api.md §3 (reference routes)
      {"GET", "/v1/executions", large, handle_list_executions},
      {"POST", "/v1/executions", large, handle_create_execution},
      {"POST", "/v1/executions/batch", body_limit_batch, handle_create_executions},
      {"GET", "/v1/executions/{id}", none, handle_get_execution},
      {"GET", "/v1/executions/{id}/state", none, handle_get_execution_state},
      {"GET", "/v1/executions/{id}/pending-waitpoints", none,
       handle_list_pending_waitpoints},
      {"GET", "/v1/executions/{id}/waitpoints/{waitpoint_id}/token", none,
       handle_get_waitpoint_token},
      {"GET", "/v1/executions/{id}/result", none, handle_get_execution_result},
      {"POST", "/v1/executions/{id}/cancel", control, handle_cancel_execution},
      {"POST", "/v1/executions/{id}/signal", medium, handle_deliver_signal},
      {"PUT", "/v1/executions/{id}/priority", control, handle_change_priority},
      {"POST", "/v1/executions/{id}/replay", control, handle_replay_execution},
      {"POST", "/v1/executions/{id}/revoke-lease", control, handle_revoke_lease},
      {"POST", "/v1/executions/{id}/reclaim", control, handle_reclaim_execution},
      {"POST", "/v1/workers/{worker_id}/claim", control, handle_worker_claim},
      {"GET", "/v1/executions/{id}/attempts/{idx}/stream", none, handle_read_stream},
      {"GET", "/v1/executions/{id}/attempts/{idx}/stream/tail", none, handle_tail_stream},
      {"POST", "/v1/flows", control, nullptr},
      {"POST", "/v1/flows/{id}/members", control, nullptr},
      {"POST", "/v1/flows/{id}/cancel", control, nullptr},
      {"POST", "/v1/flows/{id}/edges", control, nullptr},
      {"POST", "/v1/flows/{id}/edges/apply", control, nullptr},
      {"POST", "/v1/budgets", control, nullptr},
      {"GET", "/v1/budgets/{id}", none, nullptr},
      {"POST", "/v1/budgets/{id}/usage", control, nullptr},
      {"POST", "/v1/budgets/{id}/reset", control, nullptr},
      {"POST", "/v1/quotas", control, nullptr},
      {"POST", "/v1/admin/rotate-waitpoint-secret", control,
       handle_rotate_waitpoint_secret},
      {"GET", "/healthz", none, handle_healthz},
      {"GET", "/metrics", none, handle_metrics},
      // decisions.md §5 (worker API). A completion result or a batch of
      // stream frames can be as large as an input payload; the other bodies
      // are small control messages (a suspend carries up to 16 waitpoints
      // and a nested condition, hence MEDIUM).
      {"POST", "/v1/workers/{worker_id}/acquire", control, handle_worker_acquire},
      {"POST", "/v1/workers/{worker_id}/heartbeat", control, handle_worker_heartbeat},
      {"POST", "/v1/executions/{id}/claim", control, handle_claim_execution},
      {"POST", "/v1/executions/{id}/lease/renew", control, handle_renew_lease},
      {"POST", "/v1/executions/{id}/complete", large, handle_complete_execution},
      {"POST", "/v1/executions/{id}/fail", medium, handle_fail_execution},
      {"POST", "/v1/executions/{id}/suspend", medium, handle_suspend_execution},
      {"POST", "/v1/executions/{id}/waitpoints", control, handle_create_pending_waitpoint},
      {"POST", "/v1/executions/{id}/attempts/{idx}/stream", large, handle_append_frames},
      {"POST", "/v1/executions/{id}/usage", control, nullptr},
      {"POST", "/v1/executions/{id}/progress", control, handle_update_progress},
  };
  return table;
}

} // namespace ff
