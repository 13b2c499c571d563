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

// A waitpoint key named by the client: non-empty and bounded, since it is
// stored and echoed in every listing. Empty when fine, else the problem.
std::string waitpoint_key_problem(const std::string& at, const std::string& key) {
  if (key.empty()) return at + ": must not be empty";
  if (key.size() > max_waitpoint_key_bytes)
    return at + ": exceeds " + std::to_string(max_waitpoint_key_bytes) + " bytes";
  return {};
}

// A relative duration that becomes an absolute epoch-ms deadline; the range
// keeps now + ms far from overflow.
std::string duration_problem(const char* field, std::uint64_t ms) {
  if (ms < 1 || ms > static_cast<std::uint64_t>(max_wait_duration_ms))
    return std::string(field) + " must be in 1..=" + std::to_string(max_wait_duration_ms);
  return {};
}

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

bool is_timeout_only_condition(std::string_view normalized) {
  return normalized.rfind(R"({"type":"timeout_only")", 0) == 0;
}

expected<suspend_args> validate_suspend_args(suspend_input in) {
  auto& a = in.args;
  auto bad = [](std::string text) { return engine_error::invalid_input(std::move(text)); };
  if (in.reason_given && a.reason_code.empty()) return bad("reason_code must not be empty");
  if (auto ok = check_waitpoint_count(a.waitpoints.size()); !ok) return std::move(ok).error();
  std::vector<std::string> fresh_keys;
  std::set<std::string> seen_keys, seen_ids;
  bool activates_pending = false;
  for (std::size_t i = 0; i < a.waitpoints.size(); ++i) {
    const auto& wp = a.waitpoints[i];
    const bool key_given = i < in.key_given.size() && in.key_given[i];
    std::string at = "waitpoints[" + std::to_string(i) + "]";
    if (key_given && wp.activate_pending)
      return bad(at + ": give either waitpoint_key (fresh) or waitpoint_id (pending)");
    if (wp.activate_pending) {
      activates_pending = true;
      if (!seen_ids.insert(wp.waitpoint_id).second)
        return bad(at + ".waitpoint_id: duplicate waitpoint_id");
      continue;
    }
    if (!key_given) continue; // the node names it "wpk:<id>"
    if (auto p = waitpoint_key_problem(at + ".waitpoint_key", wp.waitpoint_key); !p.empty())
      return bad(p);
    if (!seen_keys.insert(wp.waitpoint_key).second)
      return bad(at + ".waitpoint_key: duplicate key '" + wp.waitpoint_key + "'");
    fresh_keys.push_back(wp.waitpoint_key);
  }
  if (in.timeout_ms) {
    if (auto p = duration_problem("timeout_ms", *in.timeout_ms); !p.empty()) return bad(p);
    a.timeout_at = in.now_ms + static_cast<std::int64_t>(*in.timeout_ms);
  }
  auto normalized = check_suspend_condition(a, fresh_keys, activates_pending);
  if (!normalized) return std::move(normalized).error();
  a.resume_condition_json = std::move(*normalized);
  return std::move(a);
}

expected<unit> check_waitpoint_count(std::size_t count) {
  if (count == 0 || count > max_waitpoints_per_suspension)
    return engine_error::invalid_input("waitpoints must hold 1..=16 entries (got " +
                                       std::to_string(count) + ")");
  return unit{};
}

expected<std::string> check_suspend_condition(const suspend_args& a,
                                              const std::vector<std::string>& fresh_keys,
                                              bool activates_pending) {
  if (!is_valid_timeout_behavior(a.timeout_behavior))
    return engine_error::invalid_input(
        "timeout_behavior must be one of fail, cancel, expire, auto_resume, escalate");
  auto normalized = parse_resume_condition(a.resume_condition_json, fresh_keys, !activates_pending);
  if (!normalized) return normalized;
  if (is_timeout_only_condition(*normalized) && a.timeout_at == 0)
    return engine_error::invalid_input("resume_condition: timeout_only requires timeout_ms");
  return normalized;
}

expected<create_pending_waitpoint_args> validate_pending_waitpoint_args(
    pending_waitpoint_input in) {
  auto& a = in.args;
  if (in.key_given)
    if (auto p = waitpoint_key_problem("waitpoint_key", a.waitpoint_key); !p.empty())
      return engine_error::invalid_input(p);
  if (in.expires_in_ms) {
    if (auto p = duration_problem("expires_in_ms", *in.expires_in_ms); !p.empty())
      return engine_error::invalid_input(p);
    a.expires_at = in.now_ms + static_cast<std::int64_t>(*in.expires_in_ms);
  }
  return std::move(a);
}

std::int64_t suspend_dedup_ttl_ms(std::int64_t timeout_at, std::int64_t now_ms) {
  if (timeout_at <= 0)
    return max_suspend_dedup_ttl_ms;
  return std::clamp<std::int64_t>(timeout_at - now_ms + 60'000, 1, max_suspend_dedup_ttl_ms);
}

} // namespace ff
