#include "http/codecs/executions_batch_codec.hpp"

#include "http/json_codec.hpp"
#include "http/response_encoding.hpp"

namespace ff {

namespace {

// The item's error response with "index" as its first member.
http_response with_item_index(http_response item_error, std::size_t index) {
  rapidjson::Document doc;
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_u64(w, "index", index);
  if (parse_json_text(item_error.body, doc, nullptr) && doc.IsObject()) {
    for (auto& m : doc.GetObject()) {
      write_key(w, std::string_view(m.name.GetString(), m.name.GetStringLength()));
      m.value.Accept(w);
    }
  }
  w.EndObject();
  item_error.body = json_text(buf);
  return item_error;
}

} // namespace

create_batch_decode_result decode_create_batch(const rapidjson::Value& body,
                                               const create_decode_options& options) {
  create_batch_decode_result result;
  auto list = body.FindMember("executions");
  if (list == body.MemberEnd() || !list->value.IsArray()) {
    result.error = unprocessable_json("executions: expected an array of create bodies");
    return result;
  }
  const auto& array = list->value.GetArray();
  if (array.Empty() || array.Size() > max_create_batch) {
    result.error = bad_request("executions: expected 1 to " + std::to_string(max_create_batch) +
                               " items, got " + std::to_string(array.Size()));
    return result;
  }

  // One partition for every id the server mints in this batch.
  create_decode_options item_options = options;
  const std::uint16_t shared = minting_partition(options);
  item_options.pick_partition = [shared](std::uint16_t) { return shared; };

  std::vector<create_execution_args> items;
  items.reserve(array.Size());
  for (rapidjson::SizeType i = 0; i < array.Size(); ++i) {
    if (!array[i].IsObject()) {
      result.error = with_item_index(unprocessable_json("expected a JSON object"), i);
      return result;
    }
    auto decoded = decode_create_execution(array[i], item_options);
    if (!decoded.args) {
      result.error = with_item_index(std::move(decoded.error), i);
      return result;
    }
    items.push_back(std::move(*decoded.args));
  }
  result.items = std::move(items);
  return result;
}

std::string encode_create_batch(const std::vector<expected<create_execution_outcome>>& results) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "results");
  w.StartArray();
  for (const auto& r : results) {
    w.StartObject();
    if (r) {
      write_u64(w, "status", r->created ? 201 : 200);
      write_create_outcome_member(w, *r);
    } else {
      write_error_members(w, r.error());
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return json_text(buf);
}

} // namespace ff
