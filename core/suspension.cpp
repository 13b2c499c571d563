#include "core/suspension.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <set>

namespace ff {

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::string sub(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

struct condition_parser {
  const std::vector<std::string>& known_keys;
  bool all_keys_known;
  json_writer& out;
  std::string error;

  bool fail(const std::string& path, const std::string& problem) {
    if (error.empty())
      error = "resume_condition" + (path.empty() ? std::string() : "." + path) + ": " + problem;
    return false;
  }

  bool key_ok(const std::string& path, const std::string& key) {
    if (key.empty())
      return fail(path, "empty waitpoint key");
    if (all_keys_known &&
        std::find(known_keys.begin(), known_keys.end(), key) == known_keys.end())
      return fail(path, "waitpoint key '" + key + "' names no waitpoint of the suspension");
    return true;
  }

  // `signal_name`: absent or null = any name, else a non-empty string.
  bool signal_name(const rapidjson::Value& node, const std::string& path) {
    auto it = node.FindMember("signal_name");
    if (it == node.MemberEnd() || it->value.IsNull())
      return true;
    if (!it->value.IsString() || it->value.GetStringLength() == 0)
      return fail(sub(path, "signal_name"), "must be null or a non-empty string");
    out.Key("signal_name");
    out.String(it->value.GetString(), it->value.GetStringLength());
    return true;
  }

  bool key_list(const rapidjson::Value& node, const std::string& path,
                std::size_t& count) {
    auto it = node.FindMember("waitpoint_keys");
    if (it == node.MemberEnd() || !it->value.IsArray() || it->value.Empty())
      return fail(sub(path, "waitpoint_keys"), "must be a non-empty array");
    std::set<std::string> seen;
    out.Key("waitpoint_keys");
    out.StartArray();
    for (const auto& k : it->value.GetArray()) {
      if (!k.IsString())
        return fail(sub(path, "waitpoint_keys"), "keys must be strings");
      std::string key(k.GetString(), k.GetStringLength());
      if (!key_ok(sub(path, "waitpoint_keys"), key))
        return false;
      if (!seen.insert(key).second)
        return fail(sub(path, "waitpoint_keys"), "duplicate key '" + key + "'");
      out.String(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
    }
    out.EndArray();
    count = seen.size();
    return true;
  }

  bool node(const rapidjson::Value& v, const std::string& path, std::size_t depth) {
    if (depth > max_resume_condition_depth)
      return fail(path, "nesting deeper than " + std::to_string(max_resume_condition_depth));
    if (!v.IsObject())
      return fail(path, "must be a JSON object");
    auto type_it = v.FindMember("type");
    if (type_it == v.MemberEnd() || !type_it->value.IsString())
      return fail(path, "missing string 'type'");
    const std::string type(type_it->value.GetString(), type_it->value.GetStringLength());
    out.StartObject();
    out.Key("type");
    out.String(type.c_str(), static_cast<rapidjson::SizeType>(type.size()));
    if (type == "single") {
      auto k = v.FindMember("waitpoint_key");
      if (k == v.MemberEnd() || !k->value.IsString())
        return fail(sub(path, "waitpoint_key"), "must be a string");
      std::string key(k->value.GetString(), k->value.GetStringLength());
      if (!key_ok(sub(path, "waitpoint_key"), key))
        return false;
      out.Key("waitpoint_key");
      out.String(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
      if (!signal_name(v, path))
        return false;
    } else if (type == "any_of") {
      std::size_t n = 0;
      if (!key_list(v, path, n))
        return false;
    } else if (type == "all_of") {
      auto m = v.FindMember("members");
      if (m == v.MemberEnd() || !m->value.IsArray() || m->value.Empty())
        return fail(sub(path, "members"), "must be a non-empty array");
      out.Key("members");
      out.StartArray();
      std::size_t i = 0;
      for (const auto& member : m->value.GetArray()) {
        if (!node(member, sub(path, "members[" + std::to_string(i) + "]"),
                  depth + 1))
          return false;
        ++i;
      }
      out.EndArray();
    } else if (type == "count") {
      auto n_it = v.FindMember("n");
      if (n_it == v.MemberEnd() || !n_it->value.IsUint64() || n_it->value.GetUint64() < 1 ||
          n_it->value.GetUint64() > 10'000)
        return fail(sub(path, "n"), "must be an integer in 1..10000");
      const std::uint64_t n = n_it->value.GetUint64();
      auto kind_it = v.FindMember("count_kind");
      if (kind_it == v.MemberEnd() || !kind_it->value.IsString())
        return fail(sub(path, "count_kind"), "must be a string");
      const std::string kind(kind_it->value.GetString(), kind_it->value.GetStringLength());
      if (kind != "distinct_sources" && kind != "distinct_signals" &&
          kind != "distinct_waitpoints")
        return fail(sub(path, "count_kind"),
                    "must be distinct_sources, distinct_signals or distinct_waitpoints");
      out.Key("n");
      out.Uint64(n);
      out.Key("count_kind");
      out.String(kind.c_str(), static_cast<rapidjson::SizeType>(kind.size()));
      std::size_t keys = 0;
      if (!key_list(v, path, keys))
        return false;
      if (kind == "distinct_waitpoints" && n > keys)
        return fail(sub(path, "n"), "exceeds the number of waitpoint_keys");
      if (!signal_name(v, path))
        return false;
    } else if (type == "operator_only" || type == "timeout_only") {
      // Never satisfied by a signal, so only meaningful as the whole condition.
      if (depth != 1)
        return fail(path, type + " is only allowed as the top-level condition");
    } else {
      return fail(sub(path, "type"), "unknown type '" + type + "'");
    }
    out.EndObject();
    return true;
  }
};

} // namespace

expected<std::string> parse_resume_condition(std::string_view json,
                                             const std::vector<std::string>& waitpoint_keys,
                                             bool all_keys_known) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError())
    return engine_error::invalid_input(
        std::string("resume_condition: invalid JSON (") +
        rapidjson::GetParseError_En(doc.GetParseError()) + ")");
  rapidjson::StringBuffer buffer;
  json_writer writer(buffer);
  condition_parser p{waitpoint_keys, all_keys_known, writer, {}};
  if (!p.node(doc, "", 1))
    return engine_error::invalid_input(p.error);
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool is_valid_timeout_behavior(std::string_view behavior) {
  return behavior == "fail" || behavior == "cancel" || behavior == "expire" ||
         behavior == "auto_resume" || behavior == "escalate";
}

std::int64_t suspend_dedup_ttl_ms(std::int64_t timeout_at, std::int64_t now_ms) {
  if (timeout_at <= 0)
    return max_suspend_dedup_ttl_ms;
  return std::clamp<std::int64_t>(timeout_at - now_ms + 60'000, 1, max_suspend_dedup_ttl_ms);
}

} // namespace ff
