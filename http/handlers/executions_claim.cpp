// POST /v1/executions/{id}/claim: consumes a grant obtained from
// /v1/workers/{worker_id}/claim into a lease (decisions.md §5); answers the
// same lease object as acquire.

#include "core/ids.hpp"
#include "http/codecs/executions_claim_codec.hpp"
#include "http/error_mapping.hpp"
#include "http/handlers/handlers.hpp"
#include "http/json_codec.hpp"

namespace ff {

void handle_claim_execution(request_context& ctx) {
  rapidjson::Document doc;
  http_response error;
  if (!parse_json_body(ctx.request, doc, error)) return ctx.reply.send(std::move(error));
  auto d = decode_claim_execution(ctx.params, doc);
  if (!d) return ctx.reply.send(std::move(d.error));

  // Lease and attempt ids are minted by the caller of the store (§4.1).
  auto& args = d.args->args;
  args.lease_id = uuid::random_v4().str();
  args.attempt_id = uuid::random_v4().str();
  ctx.gateway.call<ops::claim_execution>(
      d.args->partition, std::move(args),
      reply_on_strand<claimed_lease>(ctx.reply, [](expected<claimed_lease> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_claimed_lease(*r));
      }));
}

} // namespace ff
