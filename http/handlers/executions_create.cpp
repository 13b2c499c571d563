// POST /v1/executions: create an execution (rest-api.md §3.2; the server
// mints the id when the client omits it, decisions.md §1b).

#include "core/clock.hpp"
#include "http/codecs/executions_create_codec.hpp"
#include "http/error_mapping.hpp"
#include "http/handlers/handlers.hpp"
#include "http/json_codec.hpp"

namespace ff {

void handle_create_execution(request_context& ctx) {
  rapidjson::Document doc;
  http_response error;
  if (!parse_json_body(ctx.request, doc, error)) return ctx.reply.send(std::move(error));

  create_decode_options options;
  options.flow_partitions = ctx.gateway.flow_partitions();
  options.server_now_ms = now_ms();
  auto decoded = decode_create_execution(doc, options);
  if (!decoded.args) return ctx.reply.send(std::move(decoded.error));

  auto partition = decoded.args->execution_id.partition;
  ctx.gateway.call<ops::create_execution>(
      partition, std::move(*decoded.args),
      reply_on_strand<create_execution_outcome>(ctx.reply, [](expected<create_execution_outcome> r) {
        if (!r) return error_response(r.error());
        return http_response::json(r->created ? 201 : 200, encode_create_outcome(*r));
      }));
}

} // namespace ff
