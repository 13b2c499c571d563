#pragma once
// Every endpoint handler. Each runs on the connection's strand, must not
// block, and completes through ctx.reply (possibly later, from the
// gateway's callback).

#include "http/handler.hpp"

namespace ff {

// GET /healthz, GET /metrics
void handle_healthz(request_context& ctx);
void handle_metrics(request_context& ctx);

// POST /v1/executions
void handle_create_execution(request_context& ctx);
// GET /v1/executions
void handle_list_executions(request_context& ctx);
// GET /v1/executions/{id}, .../state, .../result
void handle_get_execution(request_context& ctx);
void handle_get_execution_state(request_context& ctx);
void handle_get_execution_result(request_context& ctx);

} // namespace ff
