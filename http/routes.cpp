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
      {"GET", "/v1/executions/{id}", none, handle_get_execution},
      {"GET", "/v1/executions/{id}/state", none, handle_get_execution_state},
      {"GET", "/v1/executions/{id}/pending-waitpoints", none, nullptr},
      {"GET", "/v1/executions/{id}/waitpoints/{waitpoint_id}/token", none, nullptr},
      {"GET", "/v1/executions/{id}/result", none, handle_get_execution_result},
      {"POST", "/v1/executions/{id}/cancel", control, nullptr},
      {"POST", "/v1/executions/{id}/signal", medium, nullptr},
      {"PUT", "/v1/executions/{id}/priority", control, nullptr},
      {"POST", "/v1/executions/{id}/replay", control, nullptr},
      {"POST", "/v1/executions/{id}/revoke-lease", control, nullptr},
      {"POST", "/v1/executions/{id}/reclaim", control, nullptr},
      {"POST", "/v1/workers/{worker_id}/claim", control, nullptr},
      {"GET", "/v1/executions/{id}/attempts/{idx}/stream", none, nullptr},
      {"GET", "/v1/executions/{id}/attempts/{idx}/stream/tail", none, nullptr},
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
      {"POST", "/v1/admin/rotate-waitpoint-secret", control, nullptr},
      {"GET", "/healthz", none, handle_healthz},
      {"GET", "/metrics", none, handle_metrics},
      // decisions.md §5 (worker API). A completion result or a batch of
      // stream frames can be as large as an input payload; the other bodies
      // are small control messages (a suspend carries up to 16 waitpoints
      // and a nested condition, hence MEDIUM).
      {"POST", "/v1/workers/{worker_id}/acquire", control, nullptr},
      {"POST", "/v1/workers/{worker_id}/heartbeat", control, nullptr},
      {"POST", "/v1/executions/{id}/claim", control, nullptr},
      {"POST", "/v1/executions/{id}/lease/renew", control, nullptr},
      {"POST", "/v1/executions/{id}/complete", large, nullptr},
      {"POST", "/v1/executions/{id}/fail", medium, nullptr},
      {"POST", "/v1/executions/{id}/suspend", medium, nullptr},
      {"POST", "/v1/executions/{id}/attempts/{idx}/stream", large, nullptr},
      {"POST", "/v1/executions/{id}/usage", control, nullptr},
      {"POST", "/v1/executions/{id}/progress", control, nullptr},
  };
  return table;
}

} // namespace ff
