// GET /v1/executions?partition=&cursor=&limit=: one page of execution ids in
// a partition (rest-api.md §3.1).

#include <algorithm>

#include "core/ids.hpp"
#include "http/error_mapping.hpp"
#include "http/execution_codec.hpp"
#include "http/handlers/handlers.hpp"
#include "http/json_codec.hpp"
#include "http/router.hpp"

namespace ff {

namespace {

constexpr std::uint64_t default_page = 50;
constexpr std::uint64_t max_page = 1000;

http_response query_error(const std::string& detail) {
  return bad_request("Failed to deserialize query string: " + detail);
}

} // namespace

void handle_list_executions(request_context& ctx) {
  auto pairs = parse_query(ctx.request.query);
  if (!pairs) return ctx.reply.send(query_error("malformed percent-encoding"));

  const std::string *partition = nullptr, *cursor = nullptr, *limit = nullptr;
  for (const auto& [key, value] : *pairs) {
    // The first occurrence wins; repeated keys are ignored.
    if (key == "partition" && !partition) partition = &value;
    else if (key == "cursor" && !cursor) cursor = &value;
    else if (key == "limit" && !limit) limit = &value;
  }

  list_executions_args args;
  if (!partition) return ctx.reply.send(query_error("missing field `partition`"));
  if (!parse_decimal(*partition, args.partition))
    return ctx.reply.send(query_error("partition: expected an integer in 0..65535 (u16)"));
  std::uint64_t page = default_page;
  if (limit && !parse_decimal(*limit, page))
    return ctx.reply.send(query_error("limit: expected a non-negative integer (u64)"));
  args.limit = static_cast<std::uint32_t>(std::min(page, max_page));
  if (cursor && !cursor->empty()) {
    auto id = execution_id::parse(*cursor);
    if (!id) return ctx.reply.send(bad_request("invalid cursor: " + id.error().text()));
    args.cursor = id->value;
  }
  if (args.limit == 0) return ctx.reply.send(http_response::json(200, encode_execution_page({})));

  auto p = args.partition;
  ctx.gateway.call<ops::list_executions>(
      p, std::move(args), reply_on_strand<execution_page>(ctx.reply, [](expected<execution_page> r) {
        if (!r) return error_response(r.error());
        return http_response::json(200, encode_execution_page(*r));
      }));
}

} // namespace ff
