// GET /v1/executions?partition=&cursor=&limit=: one page of execution ids in
// a partition (rest-api.md §3.1).

#include "http/codecs/executions_list_codec.hpp"
#include "http/error_mapping.hpp"
#include "http/handlers/handlers.hpp"

namespace ff {

void handle_list_executions(request_context& ctx) {
  auto d = decode_list_executions(ctx.request.query);
  if (!d) return ctx.reply.send(std::move(d.error));
  if (d->limit == 0) return ctx.reply.send(http_response::json(200, encode_execution_page({})));

  auto p = d.args->partition;
  ctx.gateway.call<ops::list_executions>(
      p, std::move(*d.args),
      reply_on_strand<execution_page>(ctx.reply, [](expected<execution_page> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_execution_page(*r));
      }));
}

} // namespace ff
