// Operator routes on one execution (rest-api.md §3.8, §3.10-§3.13):
// cancel, priority, replay, revoke-lease and reclaim.

#include "http/codecs/operator_actions_codec.hpp"
#include "http/error_mapping.hpp"
#include "http/handlers/handlers.hpp"
#include "http/handlers/path_params.hpp"
#include "http/json_codec.hpp"

namespace ff {

void handle_cancel_execution(request_context& ctx) {
  rapidjson::Document doc;
  http_response error;
  if (!parse_json_body(ctx.request, doc, error)) return ctx.reply.send(std::move(error));
  auto d = decode_cancel(ctx.params, doc);
  if (!d) return ctx.reply.send(std::move(d.error));
  std::string eid = d.args->args.execution_id.value;
  ctx.gateway.call<ops::cancel_execution>(
      d.args->partition, std::move(d.args->args),
      reply_on_strand<cancel_outcome>(ctx.reply, [eid](expected<cancel_outcome> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_cancelled(eid));
      }));
}

void handle_change_priority(request_context& ctx) {
  rapidjson::Document doc;
  http_response error;
  if (!parse_json_body(ctx.request, doc, error)) return ctx.reply.send(std::move(error));
  auto d = decode_change_priority(ctx.params, doc);
  if (!d) return ctx.reply.send(std::move(d.error));
  std::string eid = d.args->args.execution_id.value;
  ctx.gateway.call<ops::change_priority>(
      d.args->partition, std::move(d.args->args),
      reply_on_strand<std::int32_t>(ctx.reply, [eid](expected<std::int32_t> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_priority_changed(eid));
      }));
}

void handle_replay_execution(request_context& ctx) {
  // No body is read (rest-api.md §3.11); the size gate already ran.
  execution_id id;
  if (!path_execution_id(ctx, id)) return;
  replay_args args;
  args.execution_id = id;
  args.reason = "operator_replay";
  args.requested_by = "operator";
  ctx.gateway.call<ops::replay_execution>(
      id.partition, std::move(args),
      reply_on_strand<replay_outcome>(ctx.reply, [](expected<replay_outcome> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_replayed(*r));
      }));
}

void handle_revoke_lease(request_context& ctx) {
  // No body is read; an operator revoke expects no particular lease.
  execution_id id;
  if (!path_execution_id(ctx, id)) return;
  revoke_lease_args args;
  args.execution_id = id;
  ctx.gateway.call<ops::revoke_lease>(
      id.partition, std::move(args),
      reply_on_strand<revoke_outcome>(ctx.reply, [](expected<revoke_outcome> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_revoke_outcome(*r));
      }));
}

void handle_reclaim_execution(request_context& ctx) {
  rapidjson::Document doc;
  http_response error;
  if (!parse_json_body(ctx.request, doc, error)) return ctx.reply.send(std::move(error));
  auto d = decode_reclaim(ctx.params, doc);
  if (!d) return ctx.reply.send(std::move(d.error));
  std::string eid = d.args->args.execution_id.value;
  ctx.gateway.call<ops::issue_reclaim_grant>(
      d.args->partition, std::move(d.args->args),
      reply_on_strand<reclaim_grant_outcome>(ctx.reply, [eid](expected<reclaim_grant_outcome> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_reclaim_outcome(*r, eid));
      }));
}

} // namespace ff
