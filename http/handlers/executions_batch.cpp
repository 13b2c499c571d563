// POST /v1/executions/batch (our extension): up to 1000 creates in one
// request, each answered on its own. Items are grouped by partition; each
// group is one call to its partition actor, which sends the group to the
// store in one round trip.

#include <atomic>
#include <map>
#include <memory>
#include <vector>

#include "core/clock.hpp"
#include "http/codecs/executions_batch_codec.hpp"
#include "http/handlers/handlers.hpp"
#include "http/json_codec.hpp"

namespace ff {

namespace {

// The answers of every group, filled in from whichever thread each group's
// answer arrives on; the last group to answer sends the response.
struct batch_join {
  batch_join(std::size_t items, std::size_t groups)
      : results(items, engine_error::internal("create_executions: no answer")), pending(groups) {}
  std::vector<expected<create_execution_outcome>> results;
  std::atomic<std::size_t> pending;
};

} // namespace

void handle_create_executions(request_context& ctx) {
  rapidjson::Document doc;
  http_response error;
  if (!parse_json_body(ctx.request, doc, error)) return ctx.reply.send(std::move(error));

  create_decode_options options;
  options.flow_partitions = ctx.gateway.flow_partitions();
  options.server_now_ms = now_ms();
  auto decoded = decode_create_batch(doc, options);
  if (!decoded.items) return ctx.reply.send(std::move(decoded.error));

  // Partition -> the items' positions in the request, in request order.
  std::map<std::uint16_t, std::vector<std::size_t>> groups;
  auto& items = *decoded.items;
  for (std::size_t i = 0; i < items.size(); ++i)
    groups[items[i].execution_id.partition].push_back(i);

  auto join = std::make_shared<batch_join>(items.size(), groups.size());
  for (auto& [partition, positions] : groups) {
    create_batch_args args;
    args.items.reserve(positions.size());
    for (auto i : positions) args.items.push_back(std::move(items[i]));
    ctx.gateway.call<ops::create_executions>(
        partition, std::move(args),
        [join, positions = std::move(positions), reply = ctx.reply](
            expected<create_batch_outcome> r) mutable {
          for (std::size_t k = 0; k < positions.size(); ++k) {
            auto& slot = join->results[positions[k]];
            if (!r) slot = r.error();
            else if (k >= r->items.size())
              slot = engine_error::internal("create_executions: fewer answers than items");
            else if (r->items[k].ok) slot = std::move(r->items[k].outcome);
            else slot = std::move(r->items[k].error);
          }
          if (join->pending.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
          reply.send_with([join] {
            return http_response::json(200, encode_create_batch(join->results));
          });
        });
  }
}

} // namespace ff
