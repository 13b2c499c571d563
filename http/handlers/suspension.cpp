// Suspension, waitpoints and signals (decisions.md §5.1, rest-api.md §3.5,
// §3.6, §3.9, §3.27): POST .../suspend, POST .../waitpoints, POST .../signal,
// GET .../pending-waitpoints, GET .../waitpoints/{waitpoint_id}/token and
// POST /v1/admin/rotate-waitpoint-secret.

#include "core/clock.hpp"
#include "http/codecs/suspension_codec.hpp"
#include "http/error_mapping.hpp"
#include "http/handlers/handlers.hpp"
#include "http/json_codec.hpp"

namespace ff {

namespace {

// Parses the body and runs `decode`; false after replying with the error.
template <class Decode, class Decoded>
bool decode_json(request_context& ctx, Decode decode, Decoded& out) {
  rapidjson::Document doc;
  http_response error;
  if (!parse_json_body(ctx.request, doc, error)) {
    ctx.reply.send(std::move(error));
    return false;
  }
  out = decode(doc);
  if (!out) {
    ctx.reply.send(std::move(out.error));
    return false;
  }
  return true;
}

} // namespace

void handle_suspend_execution(request_context& ctx) {
  decoded<on_partition<suspend_args>> d;
  auto now = now_ms();
  if (!decode_json(ctx, [&](const rapidjson::Value& b) { return decode_suspend(ctx.params, b, now); },
                   d))
    return;
  ctx.gateway.call<ops::suspend_execution>(
      d.args->partition, std::move(d.args->args),
      reply_on_strand<suspend_outcome>(ctx.reply, [](expected<suspend_outcome> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_suspend_outcome(*r));
      }));
}

void handle_create_pending_waitpoint(request_context& ctx) {
  decoded<on_partition<create_pending_waitpoint_args>> d;
  auto now = now_ms();
  if (!decode_json(
          ctx,
          [&](const rapidjson::Value& b) { return decode_create_pending_waitpoint(ctx.params, b, now); },
          d))
    return;
  ctx.gateway.call<ops::create_pending_waitpoint>(
      d.args->partition, std::move(d.args->args),
      reply_on_strand<waitpoint_binding>(ctx.reply, [](expected<waitpoint_binding> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_waitpoint_binding(*r));
      }));
}

void handle_deliver_signal(request_context& ctx) {
  decoded<on_partition<signal_request>> d;
  if (!decode_json(ctx, [&](const rapidjson::Value& b) { return decode_signal(ctx.params, b); }, d))
    return;
  auto& req = d.args->args;
  ctx.gateway.call<ops::deliver_signal>(
      d.args->partition, signal_delivery{std::move(req.args), std::move(req.token)},
      reply_on_strand<deliver_signal_outcome>(ctx.reply, [](expected<deliver_signal_outcome> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_signal_outcome(*r));
      }));
}

void handle_list_pending_waitpoints(request_context& ctx) {
  auto d = decode_list_pending_waitpoints(ctx.params, ctx.request.query);
  if (!d) return ctx.reply.send(std::move(d.error));
  ctx.gateway.call<ops::list_pending_waitpoints>(
      d.args->partition, std::move(d.args->args),
      reply_on_strand<pending_waitpoint_page>(ctx.reply, [](expected<pending_waitpoint_page> r) {
        if (!r) return error_response(r.error());
        auto resp = http_response::json(200, encode_pending_waitpoints(*r));
        // The body stays the reference's bare array; the next page's cursor
        // travels in a header so old clients are unaffected.
        if (!r->next_cursor.empty()) resp.headers.emplace_back("X-Next-Cursor", r->next_cursor);
        return resp;
      }));
}

void handle_get_waitpoint_token(request_context& ctx) {
  auto d = decode_token_lookup(ctx.params);
  if (!d) return ctx.reply.send(std::move(d.error));
  waitpoint_ref ref{std::move(d.args->args.execution_id), std::move(d.args->args.waitpoint_id)};
  ctx.gateway.call<ops::get_waitpoint_token>(d.args->partition, std::move(ref),
                                             reply_on_strand<std::string>(ctx.reply, token_response));
}

void handle_rotate_waitpoint_secret(request_context& ctx) {
  decoded<rotate_request> d;
  if (!decode_json(ctx, decode_rotate, d)) return;
  ctx.gateway.rotate_waitpoint_secret(
      std::move(d.args->new_kid), std::move(d.args->new_secret_hex),
      reply_on_strand<rotation_report>(ctx.reply, rotation_response));
}

} // namespace ff
