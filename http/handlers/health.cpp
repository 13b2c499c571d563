// GET /healthz and GET /metrics.

#include "http/error_mapping.hpp"
#include "http/handlers/handlers.hpp"
#include "http/metrics.hpp"

namespace ff {

void handle_healthz(request_context& ctx) {
  ctx.gateway.ping(reply_on_strand<unit>(ctx.reply, [](expected<unit> r) {
    if (!r) return error_response(r.error());
    return http_response::json(200, R"({"status":"ok"})");
  }));
}

void handle_metrics(request_context& ctx) {
  http_response r;
  r.status = 200;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = ctx.metrics.serialize();
  ctx.reply.send(std::move(r));
}

} // namespace ff
