#pragma once
// Shared pieces of the end-to-end tests: a real redis-server, a real
// ff-node process on top of it, and JSON helpers.

#include <map>
#include <memory>
#include <string>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/redis_server.hpp"

namespace ff::test {

inline const char* test_hmac_secret =
  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

// The environment of a node talking to `redis` with a small partition count.
inline std::map<std::string, std::string> node_env(const redis_server& redis,
                                                   std::uint16_t partitions = 8) {
  return {
    {"FF_HOST", "127.0.0.1"},
    {"FF_PORT", std::to_string(redis.port())},
    {"FF_WAITPOINT_HMAC_SECRET", test_hmac_secret},
    {"FF_FLOW_PARTITIONS", std::to_string(partitions)},
    {"FF_LOG_LEVEL", "warn"},
  };
}

inline rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  return doc;
}

// A valid create body. `overrides` is a JSON object fragment without the
// braces (`"priority":7,"tags":{}`); its members replace or add to the
// defaults.
inline std::string create_body(const std::string& execution_id, std::uint16_t partition,
                               const std::string& overrides = {}) {
  rapidjson::Document body;
  body.Parse(R"({"namespace":"tests","lane_id":"default","execution_kind":"echo",)"
             R"("input_payload":[123,125],"priority":5,"creator_identity":"e2e",)"
             R"("now":1713100800000})");
  auto& alloc = body.GetAllocator();
  if (!execution_id.empty()) {
    body.AddMember("execution_id", rapidjson::Value(execution_id.c_str(), alloc), alloc);
    body.AddMember("partition_id", partition, alloc);
  }
  if (!overrides.empty()) {
    rapidjson::Document extra;
    extra.Parse(("{" + overrides + "}").c_str());
    if (!extra.IsObject()) throw std::runtime_error("bad override fragment: " + overrides);
    for (auto& m : extra.GetObject()) {
      rapidjson::Value value(m.value, alloc);
      if (body.HasMember(m.name)) body[m.name] = value;
      else body.AddMember(rapidjson::Value(m.name, alloc), value, alloc);
    }
  }
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  body.Accept(writer);
  return out.GetString();
}

inline std::string exec_path(const std::string& id, const std::string& suffix = {}) {
  return "/v1/executions/" + url_encode(id) + suffix;
}

// Every id in one partition, following next_cursor to the end.
inline std::vector<std::string> list_partition(http_client& client, std::uint16_t partition,
                                               const std::map<std::string, std::string>& headers = {}) {
  std::vector<std::string> ids;
  std::string cursor;
  for (int guard = 0; guard < 10000; ++guard) {
    auto target = "/v1/executions?partition=" + std::to_string(partition) + "&limit=100";
    if (!cursor.empty()) target += "&cursor=" + url_encode(cursor);
    auto res = client.get(target, headers);
    if (res.status != 200) throw std::runtime_error("list failed: " + res.body);
    auto doc = parse_json(res.body);
    for (auto& v : doc["executions"].GetArray()) ids.emplace_back(v.GetString());
    if (doc["next_cursor"].IsNull()) break;
    cursor = doc["next_cursor"].GetString();
  }
  return ids;
}

inline std::size_t count_all(http_client& client, std::uint16_t partitions,
                             const std::map<std::string, std::string>& headers = {}) {
  std::size_t n = 0;
  for (std::uint16_t p = 0; p < partitions; ++p) n += list_partition(client, p, headers).size();
  return n;
}

} // namespace ff::test
