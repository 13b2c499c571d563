// GET /v1/executions/{id}, /v1/executions/{id}/state and
// /v1/executions/{id}/result (rest-api.md §3.3, §3.4, §3.7).

#include "http/codecs/executions_read_codec.hpp"
#include "http/error_mapping.hpp"
#include "http/handlers/handlers.hpp"
#include "http/handlers/path_params.hpp"
#include "http/json_codec.hpp"

namespace ff {

void handle_get_execution(request_context& ctx) {
  execution_id id;
  if (!path_execution_id(ctx, id)) return;
  std::string eid = id.value;
  ctx.gateway.call<ops::get_execution>(
      id.partition, id,
      reply_on_strand<execution_info>(ctx.reply, [eid](expected<execution_info> r) {
        if (!r) return read_error_response(r.error(), "execution not found: " + eid);
        return http_response::json(200, encode_execution_info(*r));
      }));
}

void handle_get_execution_state(request_context& ctx) {
  execution_id id;
  if (!path_execution_id(ctx, id)) return;
  std::string eid = id.value;
  ctx.gateway.call<ops::get_execution_state>(
      id.partition, id,
      reply_on_strand<std::string>(ctx.reply, [eid](expected<std::string> r) {
        if (!r) return read_error_response(r.error(), "execution not found: " + eid);
        return http_response::json(200, encode_execution_state(*r));
      }));
}

void handle_get_execution_result(request_context& ctx) {
  execution_id id;
  if (!path_execution_id(ctx, id)) return;
  std::string eid = id.value;
  ctx.gateway.call<ops::get_execution_result>(
      id.partition, id,
      reply_on_strand<execution_result>(ctx.reply, [eid](expected<execution_result> r) {
        std::string missing = "execution result not found: " + eid;
        if (!r) return read_error_response(r.error(), missing);
        if (!r->found) return error_response(engine_error::not_found(missing));
        http_response out;
        out.status = 200;
        out.content_type = "application/octet-stream";
        out.body = std::move(r->bytes);
        return out;
      }));
}

} // namespace ff
