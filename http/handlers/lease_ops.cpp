// The lease-holder routes that carry the fence (decisions.md §5.1):
// POST /v1/executions/{id}/lease/renew, .../complete, .../fail, .../progress.

#include "http/codecs/lease_ops_codec.hpp"
#include "http/error_mapping.hpp"
#include "http/handlers/handlers.hpp"
#include "http/json_codec.hpp"

namespace ff {

namespace {

// Parses the body and runs `decode`; false after replying with the error.
template <class Decode, class Decoded>
bool decode_body(request_context& ctx, Decode decode, Decoded& out) {
  rapidjson::Document doc;
  http_response error;
  if (!parse_json_body(ctx.request, doc, error)) {
    ctx.reply.send(std::move(error));
    return false;
  }
  out = decode(ctx.params, doc);
  if (!out) {
    ctx.reply.send(std::move(out.error));
    return false;
  }
  return true;
}

} // namespace

void handle_renew_lease(request_context& ctx) {
  decoded<on_partition<renew_lease_args>> d;
  if (!decode_body(ctx, decode_renew, d)) return;
  ctx.gateway.call<ops::renew_lease>(
      d.args->partition, std::move(d.args->args),
      reply_on_strand<renew_outcome>(ctx.reply, [](expected<renew_outcome> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_renew_outcome(*r));
      }));
}

void handle_complete_execution(request_context& ctx) {
  decoded<on_partition<complete_args>> d;
  if (!decode_body(ctx, decode_complete, d)) return;
  keep_result_text(ctx.request.body, d.args->args);
  // A replayed completion (same fence) answers exactly like the first one.
  ctx.gateway.call<ops::complete_execution>(
      d.args->partition, std::move(d.args->args),
      reply_on_strand<complete_outcome>(ctx.reply, [](expected<complete_outcome> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_complete_outcome());
      }));
}

void handle_fail_execution(request_context& ctx) {
  decoded<on_partition<fail_args>> d;
  if (!decode_body(ctx, decode_fail, d)) return;
  // error.details is kept as the worker wrote it and shown in last_error.
  keep_failure_details_text(ctx.request.body, d.args->args);
  ctx.gateway.call<ops::fail_execution>(
      d.args->partition, std::move(d.args->args),
      reply_on_strand<fail_outcome>(ctx.reply, [](expected<fail_outcome> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_fail_outcome(*r));
      }));
}

void handle_update_progress(request_context& ctx) {
  decoded<on_partition<progress_args>> d;
  if (!decode_body(ctx, decode_progress, d)) return;
  ctx.gateway.call<ops::update_progress>(
      d.args->partition, std::move(d.args->args),
      reply_on_strand<unit>(ctx.reply, [](expected<unit> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_progress_outcome());
      }));
}

} // namespace ff
