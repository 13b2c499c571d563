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
void handle_create_executions(request_context& ctx);
// GET /v1/executions
void handle_list_executions(request_context& ctx);
// GET /v1/executions/{id}, .../state, .../result
void handle_get_execution(request_context& ctx);
void handle_get_execution_state(request_context& ctx);
void handle_get_execution_result(request_context& ctx);

// Operator routes: POST .../cancel, PUT .../priority, POST .../replay,
// POST .../revoke-lease, POST .../reclaim
void handle_cancel_execution(request_context& ctx);
void handle_change_priority(request_context& ctx);
void handle_replay_execution(request_context& ctx);
void handle_revoke_lease(request_context& ctx);
void handle_reclaim_execution(request_context& ctx);
// GET .../attempts/{idx}/stream and .../stream/tail
void handle_read_stream(request_context& ctx);
void handle_tail_stream(request_context& ctx);

// Worker routes (decisions.md §5): POST /v1/workers/{worker_id}/acquire,
// .../claim, .../heartbeat; POST /v1/executions/{id}/claim
void handle_worker_acquire(request_context& ctx);
void handle_worker_claim(request_context& ctx);
void handle_worker_heartbeat(request_context& ctx);
void handle_claim_execution(request_context& ctx);
// Lease holder: .../lease/renew, .../complete, .../fail, .../progress,
// POST .../attempts/{idx}/stream
void handle_renew_lease(request_context& ctx);
void handle_complete_execution(request_context& ctx);
void handle_fail_execution(request_context& ctx);
void handle_update_progress(request_context& ctx);
void handle_append_frames(request_context& ctx);
// Suspension and signals: POST .../suspend, POST .../waitpoints (pending
// waitpoint, extension), POST .../signal, GET .../pending-waitpoints,
// GET .../waitpoints/{waitpoint_id}/token, POST /v1/admin/rotate-waitpoint-secret
void handle_suspend_execution(request_context& ctx);
void handle_create_pending_waitpoint(request_context& ctx);
void handle_deliver_signal(request_context& ctx);
void handle_list_pending_waitpoints(request_context& ctx);
void handle_get_waitpoint_token(request_context& ctx);
void handle_rotate_waitpoint_secret(request_context& ctx);

} // namespace ff
