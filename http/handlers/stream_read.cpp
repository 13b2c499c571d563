// GET /v1/executions/{id}/attempts/{idx}/stream (range read, rest-api.md
// §3.15) and .../stream/tail (long-poll tail, §3.16). Both hold a permit of
// the stream-op pool in the engine; a full pool answers 429.

#include "http/codecs/stream_read_codec.hpp"
#include "http/error_mapping.hpp"
#include "http/handlers/handlers.hpp"
#include "http/json_codec.hpp"

namespace ff {

namespace {

auto frames_reply(const responder& reply) {
  return reply_on_strand<stream_frames>(reply, [](expected<stream_frames> r) {
    if (!r) return error_response(r.error());
    return http_response::json(200, encode_stream_frames(*r));
  });
}

} // namespace

void handle_read_stream(request_context& ctx) {
  auto d = decode_read_stream(ctx.params, ctx.request.query);
  if (!d) return ctx.reply.send(std::move(d.error));
  ctx.gateway.call<ops::read_attempt_stream>(d.args->partition, std::move(d.args->args),
                                  frames_reply(ctx.reply));
}

void handle_tail_stream(request_context& ctx) {
  auto d = decode_tail_stream(ctx.params, ctx.request.query);
  if (!d) return ctx.reply.send(std::move(d.error));
  ctx.gateway.call<ops::tail_attempt_stream>(d.args->partition, std::move(d.args->args),
                                  frames_reply(ctx.reply));
}

} // namespace ff
