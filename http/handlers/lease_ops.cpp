// The lease-holder routes that carry the fence (decisions.md §5.1):
// POST /v1/executions/{id}/lease/renew, .../complete, .../fail, .../progress.
// Complete and fail take an optional `next` (our extension): the worker's
// next leases come back in the same answer.

#include "http/codecs/lease_ops_codec.hpp"
#include "http/codecs/workers_dispatch_codec.hpp"
#include "http/error_mapping.hpp"
#include "http/handlers/handlers.hpp"
#include "http/handlers/lease_batch.hpp"
#include "http/json_codec.hpp"

namespace ff {

namespace {

// Parses the body into `doc` and runs `decode`; false after replying with
// the error.
template <class Decode, class Decoded>
bool decode_body(request_context& ctx, rapidjson::Document& doc, Decode decode, Decoded& out) {
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

// Decodes the fenced body and its optional `next`, both before anything is
// stored; false after replying with the first error.
template <class Decode, class Decoded>
bool decode_with_next(request_context& ctx, Decode decode, Decoded& out,
                      std::optional<acquire_request>& next) {
  rapidjson::Document doc;
  if (!decode_body(ctx, doc, decode, out)) return false;
  auto n = decode_next(doc);
  if (!n) {
    ctx.reply.send(std::move(n.error));
    return false;
  }
  next = std::move(*n.args);
  return true;
}

// Answers `outcome` once the `next` leases are in (at once without a next).
template <class Outcome, class Encode>
void answer_with_next(engine_gateway& gateway, const responder& reply,
                      std::optional<acquire_request> next, Outcome outcome, Encode encode) {
  if (!next) {
    reply.send_with([outcome = std::move(outcome), encode] {
      return http_response::json(200, encode(outcome, nullptr));
    });
    return;
  }
  acquire_lease_batch(
      gateway, std::move(next->dispatch), next->max_tasks,
      [reply, outcome = std::move(outcome), encode](std::vector<claimed_lease> leases,
                                                    std::optional<engine_error> error) mutable {
        reply.send_with([outcome = std::move(outcome), encode,
                         got = next_leases{std::move(leases), std::move(error)}] {
          return http_response::json(200, encode(outcome, &got));
        });
      });
}

} // namespace

void handle_renew_lease(request_context& ctx) {
  decoded<on_partition<renew_lease_args>> d;
  rapidjson::Document doc;
  if (!decode_body(ctx, doc, decode_renew, d)) return;
  ctx.gateway.call<ops::renew_lease>(
      d.args->partition, std::move(d.args->args),
      reply_on_strand<renew_outcome>(ctx.reply, [](expected<renew_outcome> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_renew_outcome(*r));
      }));
}

void handle_complete_execution(request_context& ctx) {
  decoded<on_partition<complete_args>> d;
  std::optional<acquire_request> next;
  if (!decode_with_next(ctx, decode_complete, d, next)) return;
  keep_result_text(ctx.request.body, d.args->args);
  // A replayed completion (same fence) answers exactly like the first one;
  // its `next` takes fresh leases, as a repeated acquire would.
  ctx.gateway.call<ops::complete_execution>(
      d.args->partition, std::move(d.args->args),
      [&gateway = ctx.gateway, reply = ctx.reply,
       next = std::move(next)](expected<complete_outcome> r) mutable {
        if (!r) return reply.send(error_response(r.error()));
        answer_with_next(gateway, reply, std::move(next), *r,
                         [](const complete_outcome&, const next_leases* n) {
                           return encode_complete_outcome(n);
                         });
      });
}

void handle_fail_execution(request_context& ctx) {
  decoded<on_partition<fail_args>> d;
  std::optional<acquire_request> next;
  if (!decode_with_next(ctx, decode_fail, d, next)) return;
  // error.details is kept as the worker wrote it and shown in last_error.
  keep_failure_details_text(ctx.request.body, d.args->args);
  ctx.gateway.call<ops::fail_execution>(
      d.args->partition, std::move(d.args->args),
      [&gateway = ctx.gateway, reply = ctx.reply,
       next = std::move(next)](expected<fail_outcome> r) mutable {
        if (!r) return reply.send(error_response(r.error()));
        answer_with_next(gateway, reply, std::move(next), *r,
                         [](const fail_outcome& o, const next_leases* n) {
                           return encode_fail_outcome(o, n);
                         });
      });
}

void handle_update_progress(request_context& ctx) {
  decoded<on_partition<progress_args>> d;
  rapidjson::Document doc;
  if (!decode_body(ctx, doc, decode_progress, d)) return;
  ctx.gateway.call<ops::update_progress>(
      d.args->partition, std::move(d.args->args),
      reply_on_strand<unit>(ctx.reply, [](expected<unit> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_progress_outcome());
      }));
}

} // namespace ff
