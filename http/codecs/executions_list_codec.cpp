#include "http/codecs/executions_list_codec.hpp"

#include <algorithm>

#include "core/ids.hpp"
#include "http/json_codec.hpp"
#include "http/router.hpp"

namespace ff {

decoded<list_executions_args> decode_list_executions(std::string_view query) {
  using result = list_executions_args;
  auto pairs = parse_query(query);
  if (!pairs) return failed<result>(query_error("malformed percent-encoding"));

  const std::string *partition = nullptr, *cursor = nullptr, *limit = nullptr;
  for (const auto& [key, value] : *pairs) {
    // The first occurrence wins; repeated keys are ignored.
    if (key == "partition" && !partition) partition = &value;
    else if (key == "cursor" && !cursor) cursor = &value;
    else if (key == "limit" && !limit) limit = &value;
  }

  list_executions_args args;
  if (!partition) return failed<result>(query_error("missing field `partition`"));
  if (!parse_decimal(*partition, args.partition))
    return failed<result>(query_error("partition: expected an integer in 0..65535 (u16)"));
  std::uint64_t page = default_executions_page;
  if (limit && !parse_decimal(*limit, page))
    return failed<result>(query_error("limit: expected a non-negative integer (u64)"));
  args.limit = static_cast<std::uint32_t>(std::min(page, max_executions_page));
  if (cursor && !cursor->empty()) {
    auto id = execution_id::parse(*cursor);
    if (!id) return failed<result>(bad_request("invalid cursor: " + id.error().text()));
    args.cursor = id->value;
  }
  return success(std::move(args));
}

std::string encode_execution_page(const execution_page& page) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "executions");
  w.StartArray();
  for (const auto& id : page.execution_ids) write_string(w, id);
  w.EndArray();
  write_key(w, "next_cursor");
  if (page.next_cursor.empty()) w.Null();
  else write_string(w, page.next_cursor);
  w.EndObject();
  return json_text(buf);
}

} // namespace ff
