// Worker registry and scanner batches on Valkey (lua/worker.lua,
// lua/scanner.lua). Scanners take the caller's clock and work on one
// partition per call.

#include <set>

#include "backends/valkey/function_call.hpp"
#include "backends/valkey/keys.hpp"
#include "backends/valkey/reply_parse.hpp"
#include "backends/valkey/valkey_backend_impl.hpp"

namespace ff {

namespace k = valkey_keys;
using valkey_detail::field_reader;

namespace {

std::string join_csv(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty())
      out += ',';
    out += item;
  }
  return out;
}

expected<worker_liveness> parse_liveness(const lua_envelope& env, std::string_view op) {
  worker_liveness out;
  if (env.status == "NOT_REGISTERED") {
    out.status = "not_registered";
    return out;
  }
  field_reader r(env, std::string(op));
  out.status = r.text(0);
  r.integer(1, out.next_expiry_ms);
  if (!r.ok())
    return r.error();
  return out;
}

expected<unit> check_lanes(const std::vector<std::string>& lanes) {
  if (lanes.empty())
    return engine_error::invalid_input("no lanes given");
  for (const auto& lane : lanes)
    if (!is_valid_lane_id(lane))
      return engine_error::invalid_input("invalid lane_id: " + lane);
  return unit{};
}

} // namespace

expected<worker_liveness> valkey_backend::register_worker(const register_worker_args& a) {
  if (!is_valid_worker_id(a.worker_id) || !is_valid_worker_id(a.worker_instance_id))
    return engine_error::invalid_input("invalid worker_id or worker_instance_id");
  const std::string& ns = a.namespace_name;
  auto env = call_function(
      conn_, "ff_register_worker",
      {k::worker_alive_key(ns, a.worker_instance_id), k::worker_caps_key(ns, a.worker_instance_id),
       k::workers_index_key(ns)},
      {a.worker_instance_id, a.worker_id, join_csv(a.lanes), a.capabilities,
       std::to_string(a.ttl_ms), std::to_string(a.now_ms)});
  if (!env)
    return std::move(env).error();
  return parse_liveness(*env, "ff_register_worker");
}

expected<worker_liveness> valkey_backend::heartbeat_worker(const heartbeat_worker_args& a) {
  if (!is_valid_worker_id(a.worker_instance_id))
    return engine_error::invalid_input("invalid worker_instance_id");
  const std::string& ns = a.namespace_name;
  auto env = call_function(conn_, "ff_heartbeat_worker",
                           {k::worker_alive_key(ns, a.worker_instance_id),
                            k::worker_caps_key(ns, a.worker_instance_id)},
                           {std::to_string(a.now_ms)});
  if (!env)
    return std::move(env).error();
  return parse_liveness(*env, "ff_heartbeat_worker");
}

expected<scan_outcome> valkey_backend::expire_leases(const scan_args& a) {
  auto env = call_function(conn_, "ff_expire_leases",
                           {k::lease_expiry_key(flow_partition_tag(a.partition))},
                           {std::to_string(a.now_ms), std::to_string(a.limit)});
  if (!env)
    return std::move(env).error();
  return valkey_detail::parse_scan_reply(*env, "ff_expire_leases");
}

expected<scan_outcome> valkey_backend::promote_delayed(const scan_args& a) {
  if (auto ok = check_lanes(a.lanes); !ok)
    return std::move(ok).error();
  const std::string tag = flow_partition_tag(a.partition);
  std::vector<std::string> keys;
  std::vector<std::string> args = {std::to_string(a.now_ms), std::to_string(a.limit)};
  for (const auto& lane : a.lanes) {
    keys.push_back(k::lane_delayed_key(tag, lane));
    args.push_back(lane);
  }
  auto env = call_function(conn_, "ff_promote_delayed", keys, args);
  if (!env)
    return std::move(env).error();
  return valkey_detail::parse_scan_reply(*env, "ff_promote_delayed");
}

expected<scan_outcome> valkey_backend::expire_attempt_timeouts(const scan_args& a) {
  auto env = call_function(conn_, "ff_expire_attempt_timeouts",
                           {k::attempt_timeout_key(flow_partition_tag(a.partition))},
                           {std::to_string(a.now_ms), std::to_string(a.limit)});
  if (!env)
    return std::move(env).error();
  return valkey_detail::parse_scan_reply(*env, "ff_expire_attempt_timeouts");
}

expected<scan_outcome> valkey_backend::expire_execution_deadlines(const scan_args& a) {
  auto env = call_function(conn_, "ff_expire_execution_deadlines",
                           {k::execution_deadline_key(flow_partition_tag(a.partition))},
                           {std::to_string(a.now_ms), std::to_string(a.limit)});
  if (!env)
    return std::move(env).error();
  return valkey_detail::parse_scan_reply(*env, "ff_expire_execution_deadlines");
}

expected<scan_outcome> valkey_backend::trim_retention(const scan_args& a) {
  const std::string tag = flow_partition_tag(a.partition);
  auto env = call_function(conn_, "ff_trim_retention",
                           {k::retention_key(tag), k::all_executions_key(tag)},
                           {std::to_string(a.now_ms), std::to_string(a.limit)});
  if (!env)
    return std::move(env).error();
  return valkey_detail::parse_scan_reply(*env, "ff_trim_retention");
}

expected<scan_outcome> valkey_backend::reconcile_indexes(const scan_args& a) {
  for (const auto& lane : a.lanes)
    if (!is_valid_lane_id(lane))
      return engine_error::invalid_input("invalid lane_id: " + lane);
  const std::string tag = flow_partition_tag(a.partition);
  std::vector<std::string> keys = {k::all_executions_key(tag)};
  std::vector<std::string> args = {std::to_string(a.now_ms), a.cursor, std::to_string(a.limit)};
  for (const auto& lane : a.lanes) {
    keys.push_back(k::lane_eligible_key(tag, lane));
    args.push_back(lane);
  }
  auto env = call_function(conn_, "ff_reconcile_indexes", keys, args);
  if (!env)
    return std::move(env).error();
  return valkey_detail::parse_scan_reply(*env, "ff_reconcile_indexes");
}

expected<std::vector<lane_count>> valkey_backend::count_eligible(
    std::uint16_t partition, const std::vector<std::string>& lanes) {
  if (auto ok = check_lanes(lanes); !ok)
    return std::move(ok).error();
  const std::string tag = flow_partition_tag(partition);
  std::vector<std::string> keys;
  for (const auto& lane : lanes)
    keys.push_back(k::lane_eligible_key(tag, lane));
  auto env = call_function(conn_, "ff_count_eligible", keys, lanes, call_mode::read_only);
  if (!env)
    return std::move(env).error();
  std::vector<lane_count> out;
  field_reader r(*env, "ff_count_eligible");
  for (std::size_t i = 0; i + 1 < env->fields.size(); i += 2) {
    lane_count c;
    c.lane_id = env->field(i);
    r.integer(i + 1, c.count);
    out.push_back(std::move(c));
  }
  if (!r.ok())
    return r.error();
  return out;
}

expected<std::vector<std::string>> valkey_backend::lanes_with_eligible_work() {
  // SCAN, not KEYS: the walk is incremental and never blocks the store.
  const std::string match = k::lane_eligible_key("{fp:*}", "*");
  std::set<std::string> lanes;
  std::string cursor = "0";
  do {
    auto reply = conn_.command({"SCAN", cursor, "MATCH", match, "COUNT", "1000"});
    if (!reply)
      return std::move(reply).error();
    if (reply->is_error())
      return classify_redis_error_reply("SCAN", reply->str);
    if (reply->kind != redis_value::type::array || reply->elements.size() != 2 ||
        !reply->elements[0].is_string())
      return engine_error::internal("SCAN: malformed reply");
    cursor = reply->elements[0].str;
    for (const auto& key : reply->elements[1].elements) {
      if (!key.is_string()) continue;
      auto lane = k::lane_of_eligible_key(key.str);
      if (is_valid_lane_id(lane)) lanes.emplace(lane);
    }
  } while (cursor != "0");
  return std::vector<std::string>(lanes.begin(), lanes.end());
}

} // namespace ff
