// The worker dispatch routes (decisions.md §5): POST
// /v1/workers/{worker_id}/acquire (grant + claim in one step),
// /v1/workers/{worker_id}/claim (rest-api.md §3.14, a grant only; wait_ms
// long-polls) and /v1/workers/{worker_id}/heartbeat (registry liveness).

#include "core/clock.hpp"
#include "http/codecs/workers_dispatch_codec.hpp"
#include "http/error_mapping.hpp"
#include "http/handlers/handlers.hpp"
#include "http/handlers/lease_batch.hpp"
#include "http/json_codec.hpp"

namespace ff {

void handle_worker_acquire(request_context& ctx) {
  rapidjson::Document doc;
  http_response error;
  if (!parse_json_body(ctx.request, doc, error)) return ctx.reply.send(std::move(error));
  auto d = decode_acquire(ctx.params, doc);
  if (!d) return ctx.reply.send(std::move(d.error));

  if (d.args->max_tasks > 0) {
    acquire_lease_batch(ctx.gateway, std::move(d.args->dispatch), d.args->max_tasks,
                        [reply = ctx.reply](std::vector<claimed_lease> leases,
                                            std::optional<engine_error> error) {
                          reply.send_with([leases = std::move(leases), error = std::move(error)] {
                            if (error) return error_response(*error);
                            return http_response::json(200, encode_leases(leases));
                          });
                        });
    return;
  }
  // With wait_ms the request parks in the lane actor; the session has no
  // read timeout while a handler waits, so nothing here has to keep it.
  ctx.gateway.dispatch<ops::acquire_next_in_lane>(
      std::move(d.args->dispatch),
      reply_on_strand<acquire_outcome>(ctx.reply, [](expected<acquire_outcome> r) {
        if (!r) return error_response(r.error());
        if (!r->acquired) return http_response::empty(204);
        return http_response::json(200, encode_claimed_lease(r->lease));
      }));
}

void handle_worker_claim(request_context& ctx) {
  rapidjson::Document doc;
  http_response error;
  if (!parse_json_body(ctx.request, doc, error)) return ctx.reply.send(std::move(error));
  auto d = decode_claim_grant(ctx.params, doc);
  if (!d) return ctx.reply.send(std::move(d.error));

  ctx.gateway.dispatch<ops::grant_next_in_lane>(
      std::move(*d.args),
      reply_on_strand<grant_outcome>(ctx.reply, [](expected<grant_outcome> r) {
        if (!r) return error_response(r.error());
        if (!r->granted) return http_response::empty(204);
        return http_response::json(200, encode_claim_grant(r->grant));
      }));
}

void handle_worker_heartbeat(request_context& ctx) {
  rapidjson::Document doc;
  http_response error;
  if (!parse_json_body(ctx.request, doc, error)) return ctx.reply.send(std::move(error));
  auto d = decode_heartbeat(ctx.params, doc, now_ms());
  if (!d) return ctx.reply.send(std::move(d.error));

  ctx.gateway.call<ops::register_worker>(
      std::move(*d.args),
      reply_on_strand<worker_liveness>(ctx.reply, [](expected<worker_liveness> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_worker_liveness(*r));
      }));
}

} // namespace ff
