#include "http/codecs/executions_create_codec.hpp"

#include <algorithm>
#include <random>

#include "core/expected.hpp"
#include "core/ids.hpp"
#include "core/validation.hpp"
#include "http/error_mapping.hpp"
#include "http/json_codec.hpp"

namespace ff {

namespace {

engine_error policy_error(std::string detail) {
  return engine_error::validation("invalid_policy_json", std::move(detail));
}

std::string format_bound(double v) {
  auto text = std::to_string(v);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

// FNV-1a over the length-prefixed namespace and the key: stable across
// nodes and releases, so every node sends a retry to the same partition.
std::uint16_t idempotency_partition(std::string_view namespace_name, std::string_view key,
                                    std::uint16_t partitions) {
  std::uint64_t h = 14695981039346656037ULL;
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  mix(std::to_string(namespace_name.size()));
  mix(":");
  mix(namespace_name);
  mix(":");
  mix(key);
  return static_cast<std::uint16_t>(h % partitions);
}

std::uint16_t random_partition(std::uint16_t partitions) {
  thread_local std::mt19937 gen{std::random_device{}()};
  return static_cast<std::uint16_t>(
      std::uniform_int_distribution<unsigned>(0, partitions - 1u)(gen));
}

// Validates the fields of a sub-object; `what` names the path so far.
// Returns the first problem as "<path>: <problem>", empty when fine.
class policy_checker {
public:
  explicit policy_checker(std::string& error) : error_(error) {}

  bool object(const rapidjson::Value* v, const std::string& path) {
    if (!v || v->IsObject()) return true;
    return fail(path, "expected an object");
  }
  template <class T>
  bool integer(const rapidjson::Value& obj, const char* name, const std::string& path) {
    auto* v = member(obj, name);
    T out{};
    if (!v || json_to_integer(*v, out)) return true;
    return fail(path + name, std::string("expected ") + integer_type_name<T>());
  }
  bool string(const rapidjson::Value& obj, const char* name, const std::string& path) {
    auto* v = member(obj, name);
    if (!v || v->IsString()) return true;
    return fail(path + name, "expected a string");
  }
  bool required_string(const rapidjson::Value& obj, const char* name, const std::string& path) {
    if (!member(obj, name)) return fail(path + name, "missing required field");
    return string(obj, name, path);
  }
  bool boolean(const rapidjson::Value& obj, const char* name, const std::string& path) {
    auto* v = member(obj, name);
    if (!v || v->IsBool()) return true;
    return fail(path + name, "expected true or false");
  }
  bool number(const rapidjson::Value& obj, const char* name, const std::string& path) {
    auto* v = member(obj, name);
    if (!v || v->IsNumber()) return true;
    return fail(path + name, "expected a number");
  }
  // An integer field no larger than `max` (absent is fine).
  bool bounded_integer(const rapidjson::Value& obj, const char* name, const std::string& path,
                       std::uint64_t max) {
    if (!integer<std::uint64_t>(obj, name, path)) return false;
    auto* v = member(obj, name);
    std::uint64_t value = 0;
    if (v && json_to_integer(*v, value) && value > max)
      return fail(path + name, "must be at most " + std::to_string(max));
    return true;
  }
  // A number field within [min, max] (absent is fine).
  bool bounded_number(const rapidjson::Value& obj, const char* name, const std::string& path,
                      double min, double max) {
    if (!number(obj, name, path)) return false;
    auto* v = member(obj, name);
    if (v && !(v->GetDouble() >= min && v->GetDouble() <= max))
      return fail(path + name, "must be between " + format_bound(min) + " and " +
                                   format_bound(max));
    return true;
  }
  bool string_array(const rapidjson::Value& obj, const char* name, const std::string& path) {
    auto* v = member(obj, name);
    if (!v) return true;
    if (!v->IsArray()) return fail(path + name, "expected an array of strings");
    for (rapidjson::SizeType i = 0; i < v->Size(); ++i)
      if (!(*v)[i].IsString())
        return fail(path + name + "[" + std::to_string(i) + "]", "expected a string");
    return true;
  }

  static const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
  }

  bool fail(const std::string& path, const std::string& problem) {
    if (error_.empty()) error_ = path + ": " + problem;
    return false;
  }

private:
  std::string& error_;
};

bool check_retry_policy(policy_checker& c, const rapidjson::Value& p) {
  const std::string path = "retry_policy.";
  if (!c.integer<std::uint32_t>(p, "max_retries", path)) return false;
  if (!c.string_array(p, "retryable_categories", path)) return false;
  auto* backoff = policy_checker::member(p, "backoff");
  if (!backoff) return true;
  if (!c.object(backoff, path + "backoff")) return false;
  const std::string bpath = path + "backoff.";
  auto* type = policy_checker::member(*backoff, "type");
  if (!type) return c.fail(bpath + "type", "missing required field");
  if (!type->IsString()) return c.fail(bpath + "type", "expected \"fixed\" or \"exponential\"");
  std::string_view t(type->GetString(), type->GetStringLength());
  // Bounded so the store never computes a retry time it cannot represent.
  if (t == "fixed") return c.bounded_integer(*backoff, "delay_ms", bpath, max_retry_delay_ms);
  if (t == "exponential")
    return c.bounded_integer(*backoff, "initial_delay_ms", bpath, max_retry_delay_ms) &&
           c.bounded_integer(*backoff, "max_delay_ms", bpath, max_retry_delay_ms) &&
           c.bounded_number(*backoff, "multiplier", bpath, min_backoff_multiplier,
                            max_backoff_multiplier) &&
           c.boolean(*backoff, "jitter", bpath);
  return c.fail(bpath + "type", "expected \"fixed\" or \"exponential\"");
}

bool check_fallback_policy(policy_checker& c, const rapidjson::Value& p) {
  auto* tiers = policy_checker::member(p, "tiers");
  if (!tiers) return true;
  if (!tiers->IsArray()) return c.fail("fallback_policy.tiers", "expected an array");
  for (rapidjson::SizeType i = 0; i < tiers->Size(); ++i) {
    const auto& tier = (*tiers)[i];
    std::string path = "fallback_policy.tiers[" + std::to_string(i) + "]";
    if (!tier.IsObject()) return c.fail(path, "expected an object");
    path += ".";
    if (!c.required_string(tier, "provider", path) || !c.required_string(tier, "model", path) ||
        !c.integer<std::uint64_t>(tier, "timeout_ms", path))
      return false;
  }
  return true;
}

// execution-model.md §5.2: fail-closed validation of the required set.
expected<std::string> check_capabilities(const rapidjson::Value& routing) {
  auto* caps = policy_checker::member(routing, "required_capabilities");
  if (!caps) return std::string();
  if (!caps->IsArray()) return capabilities_error("required:not_array");
  std::vector<std::string> tokens;
  for (rapidjson::SizeType i = 0; i < caps->Size(); ++i) {
    const auto& t = (*caps)[i];
    if (!t.IsString()) {
      // The tokens before it are judged first, in the order they came.
      if (auto ok = check_capability_tokens(tokens, capability_set::required); !ok)
        return std::move(ok).error();
      return capabilities_error("required:non_string_token");
    }
    tokens.emplace_back(t.GetString(), t.GetStringLength());
  }
  return capabilities_csv(std::move(tokens), capability_set::required);
}

} // namespace

expected<policy_summary> check_policy(const rapidjson::Value& policy) {
  if (!policy.IsObject()) return policy_error("policy: expected an object");
  std::string problem;
  policy_checker c(problem);
  policy_summary out;

  bool shape_ok =
      c.integer<std::int32_t>(policy, "priority", "") &&
      c.integer<std::int64_t>(policy, "delay_until", "") &&
      c.integer<std::uint32_t>(policy, "max_reclaim_count", "") &&
      c.integer<std::uint32_t>(policy, "max_replay_count", "") &&
      c.integer<std::uint64_t>(policy, "dedup_window_ms", "") &&
      c.integer<std::uint32_t>(policy, "max_signals_per_execution", "");
  if (shape_ok) {
    auto* retry = policy_checker::member(policy, "retry_policy");
    shape_ok = c.object(retry, "retry_policy") && (!retry || check_retry_policy(c, *retry));
  }
  if (shape_ok) {
    auto* timeout = policy_checker::member(policy, "timeout_policy");
    shape_ok = c.object(timeout, "timeout_policy") &&
               (!timeout ||
                (c.integer<std::uint64_t>(*timeout, "attempt_timeout_ms", "timeout_policy.") &&
                 c.integer<std::uint64_t>(*timeout, "execution_deadline_ms", "timeout_policy.") &&
                 c.integer<std::uint32_t>(*timeout, "max_reclaim_count", "timeout_policy.")));
  }
  if (shape_ok) {
    auto* susp = policy_checker::member(policy, "suspension_policy");
    shape_ok = c.object(susp, "suspension_policy") &&
               (!susp ||
                (c.integer<std::uint64_t>(*susp, "default_timeout_ms", "suspension_policy.") &&
                 c.string(*susp, "timeout_behavior", "suspension_policy.")));
  }
  if (shape_ok) {
    auto* fallback = policy_checker::member(policy, "fallback_policy");
    shape_ok = c.object(fallback, "fallback_policy") &&
               (!fallback || check_fallback_policy(c, *fallback));
  }
  if (shape_ok) {
    auto* stream = policy_checker::member(policy, "stream_policy");
    shape_ok = c.object(stream, "stream_policy") &&
               (!stream ||
                (c.string(*stream, "durability_mode", "stream_policy.") &&
                 c.integer<std::uint64_t>(*stream, "retention_maxlen", "stream_policy.") &&
                 c.integer<std::uint64_t>(*stream, "retention_ttl_ms", "stream_policy.")));
  }
  if (!shape_ok) return policy_error(problem);

  // budget_ids / quota_policy_id are attached at create (decisions.md §3),
  // so they must be real UUIDs; stored in canonical form.
  if (auto* budgets = policy_checker::member(policy, "budget_ids")) {
    if (!budgets->IsArray()) return policy_error("budget_ids: expected an array of UUIDs");
    for (rapidjson::SizeType i = 0; i < budgets->Size(); ++i) {
      const auto& b = (*budgets)[i];
      std::optional<uuid> id;
      if (b.IsString()) id = uuid::parse(std::string_view(b.GetString(), b.GetStringLength()));
      if (!id)
        return policy_error("budget_ids[" + std::to_string(i) + "]: expected a UUID");
      if (!out.budget_ids.empty()) out.budget_ids.push_back(',');
      out.budget_ids += id->str();
    }
  }
  if (auto* quota = policy_checker::member(policy, "quota_policy_id")) {
    std::optional<uuid> id;
    if (quota->IsString())
      id = uuid::parse(std::string_view(quota->GetString(), quota->GetStringLength()));
    if (!id) return policy_error("quota_policy_id: expected a UUID");
    out.quota_policy_id = id->str();
  }

  if (auto* routing = policy_checker::member(policy, "routing_requirements")) {
    if (!routing->IsObject()) return policy_error("routing_requirements:not_object");
    if (!c.string(*routing, "preferred_locality", "routing_requirements.") ||
        !c.string(*routing, "isolation_level", "routing_requirements."))
      return policy_error(problem);
    auto caps = check_capabilities(*routing);
    if (!caps) return std::move(caps).error();
    out.required_capabilities = std::move(*caps);
  }

  if (auto* p = policy_checker::member(policy, "priority")) {
    std::int32_t v = 0;
    json_to_integer(*p, v);
    out.priority = v;
  }
  if (auto* d = policy_checker::member(policy, "delay_until")) {
    std::int64_t v = 0;
    json_to_integer(*d, v);
    out.delay_until = v;
  }
  out.policy_json = to_json(policy);
  return out;
}

std::uint16_t minting_partition(const create_decode_options& options) {
  return options.pick_partition ? options.pick_partition(options.flow_partitions)
                                : random_partition(options.flow_partitions);
}

create_decode_result decode_create_execution(const rapidjson::Value& body,
                                             const create_decode_options& options) {
  create_decode_result result;
  create_execution_args args;
  field_reader r(body);

  // Shape first (422), in the order of the spec's table.
  std::string id_text;
  bool has_id = r.string("execution_id", id_text, false);
  std::optional<execution_id> parsed_id;
  if (has_id) {
    auto id = execution_id::parse(id_text);
    if (!id) r.fail("execution_id", "invalid execution id: " + id.error().text());
    else parsed_id = std::move(*id);
  }
  r.string("namespace", args.namespace_name, true);
  if (r.string("lane_id", args.lane_id, true) && !is_valid_lane_id(args.lane_id))
    r.fail("lane_id", "must be 1-64 printable ASCII bytes");
  r.string("execution_kind", args.execution_kind, true);
  std::string payload;
  r.bytes("input_payload", payload, true);
  r.string("payload_encoding", args.payload_encoding, false);
  std::int32_t priority = 0;
  bool has_priority = r.integer("priority", priority, false);
  r.string("creator_identity", args.creator_identity, true);
  r.string("idempotency_key", args.idempotency_key, false);
  r.string_map("tags", args.tags, false);
  auto* policy = r.find("policy");
  bool has_delay = r.integer("delay_until", args.delay_until, false);
  r.integer("execution_deadline_at", args.execution_deadline_at, false);
  std::uint16_t partition_id = 0;
  bool has_partition = r.integer("partition_id", partition_id, false);
  if (!r.integer("now", args.now_ms, false)) args.now_ms = options.server_now_ms;
  if (!r.ok()) {
    result.error = unprocessable_json(r.error());
    return result;
  }
  // Payloads are bytes, kept byte-exact (decisions.md §3).
  args.input_payload = std::move(payload);

  // Where the execution lives (decisions.md §1b): the id's partition, or a
  // server-minted id when the client leaves it to us.
  if (options.flow_partitions == 0) {
    result.error = error_response(engine_error::internal("no flow partitions configured"));
    return result;
  }
  auto out_of_range = [&](std::uint16_t p) {
    return bad_request("partition " + std::to_string(p) + " is out of range (flow partitions: " +
                       std::to_string(options.flow_partitions) + ")");
  };
  if (parsed_id) {
    if (has_partition && partition_id != parsed_id->partition) {
      result.error = bad_request("partition_id does not match execution_id");
      return result;
    }
    if (parsed_id->partition >= options.flow_partitions) {
      result.error = out_of_range(parsed_id->partition);
      return result;
    }
  } else {
    if (has_partition && partition_id >= options.flow_partitions) {
      result.error = out_of_range(partition_id);
      return result;
    }
    // An idempotency key scopes its dedup to one partition, so a blind
    // retry must land where the first try did (decisions.md §2b).
    std::uint16_t p = has_partition ? partition_id
                      : !args.idempotency_key.empty()
                          ? idempotency_partition(args.namespace_name, args.idempotency_key,
                                                  options.flow_partitions)
                                                : minting_partition(options);
    parsed_id = execution_id::mint(p);
  }
  args.execution_id = *parsed_id;

  std::optional<std::int32_t> policy_priority;
  if (policy) {
    auto summary = check_policy(*policy);
    if (!summary) {
      result.error = error_response(summary.error());
      return result;
    }
    args.policy_json = std::move(summary->policy_json);
    args.required_capabilities = std::move(summary->required_capabilities);
    args.budget_ids = std::move(summary->budget_ids);
    args.quota_policy_id = std::move(summary->quota_policy_id);
    policy_priority = summary->priority;
    if (!has_delay && summary->delay_until) args.delay_until = *summary->delay_until;
  }
  // The top-level priority is required unless the policy carries one.
  if (!has_priority) {
    if (!policy_priority) {
      result.error = unprocessable_json("priority: missing required field");
      return result;
    }
    priority = *policy_priority;
  }
  args.priority = std::clamp(priority, min_priority, max_priority);

  // Times the store can hold exactly (its integers are exact to 15 digits).
  for (auto [name, value] : {std::pair<const char*, std::int64_t>{"delay_until", args.delay_until},
                             {"execution_deadline_at", args.execution_deadline_at}}) {
    if (value > max_epoch_ms || value < -max_epoch_ms) {
      result.error = unprocessable_json(std::string(name) + ": must be within +/-" +
                                        std::to_string(max_epoch_ms) + " (epoch ms)");
      return result;
    }
  }

  result.args = std::move(args);
  return result;
}

std::string encode_create_outcome(const create_execution_outcome& outcome) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_create_outcome_member(w, outcome);
  w.EndObject();
  return json_text(buf);
}

void write_create_outcome_member(json_writer& w, const create_execution_outcome& outcome) {
  write_key(w, outcome.created ? "Created" : "Duplicate");
  w.StartObject();
  write_key(w, "execution_id");
  write_string(w, outcome.execution_id);
  if (outcome.created) {
    write_key(w, "public_state");
    write_string(w, text_of(outcome.public_state));
  }
  w.EndObject();
}

} // namespace ff
