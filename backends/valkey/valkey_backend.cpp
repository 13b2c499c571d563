#include "backends/valkey/valkey_backend.hpp"

#include <cstdio>
#include <map>

#include "backends/valkey/function_call.hpp"
#include "backends/valkey/keys.hpp"
#include "backends/valkey/reply_parse.hpp"
#include "backends/valkey/valkey_backend_impl.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/validation.hpp"

namespace ff {

namespace k = valkey_keys;

namespace {

// Integers travel as decimal strings; 0 means "none" for optional times.
std::string optional_ms(std::int64_t ms) { return ms == 0 ? std::string() : std::to_string(ms); }

// JSON text of a string -> string object (tags for ff_create_execution).
// Bytes >= 0x80 pass through unchanged; cjson keeps them as they are.
std::string json_object_of_strings(const std::map<std::string, std::string>& fields) {
  auto append_string = [](std::string& out, const std::string& s) {
    out += '"';
    for (unsigned char c : s) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    out += '"';
  };
  std::string out = "{";
  for (const auto& [name, value] : fields) {
    if (out.size() > 1)
      out += ',';
    append_string(out, name);
    out += ':';
    append_string(out, value);
  }
  out += '}';
  return out;
}

} // namespace

valkey_backend::valkey_backend(valkey_options opts) : conn_(std::move(opts)) {}

// --- boot -----------------------------------------------------------------

expected<server_identity> valkey_backend::read_server_identity() {
  auto info = conn_.command({"INFO", "server"});
  if (!info)
    return std::move(info).error();
  if (!info->is_string())
    return info->is_error() ? classify_redis_error_reply("INFO", info->str)
                            : engine_error::internal("INFO server: unexpected reply type");
  return check_server_info(info->str);
}

expected<std::string> valkey_backend::loaded_library_version() {
  auto reply = conn_.command({"FCALL", "ff_version", "0"});
  if (!reply)
    return std::move(reply).error();
  if (reply->is_error()) {
    // No library (or an old one without ff_version): needs loading.
    if (reply->str.find("Function not found") != std::string::npos)
      return std::string();
    return classify_redis_error_reply("ff_version", reply->str);
  }
  if (!reply->is_string())
    return engine_error::internal("ff_version: unexpected reply type");
  return std::move(reply->str);
}

expected<unit> valkey_backend::load_library() {
  auto reply =
      conn_.command({"FUNCTION", "LOAD", "REPLACE", flowfabric_library_source()});
  if (!reply)
    return std::move(reply).error();
  if (reply->is_error()) {
    engine_error e = classify_redis_error_reply("FUNCTION LOAD", reply->str);
    if (e.kind == error_kind::internal)
      e.message = "library load: " + reply->str;
    return e;
  }
  return unit{};
}

expected<bool> valkey_backend::init_partition_config(const partition_counts& counts) {
  auto env = call_function_raw(conn_, "ff_init_partition_config", {k::partition_config_key()},
                               {std::to_string(counts.flow), std::to_string(counts.budget),
                                std::to_string(counts.quota)});
  if (!env)
    return std::move(env).error();
  if (env->ok)
    return env->field(0) == "written";
  if (env->status == "partition_config_mismatch") {
    engine_error e = engine_error::internal(env->detail());
    e.code = env->status;
    e.message = "partition counts differ from the ones this store was created with: " +
                env->detail() + ", configured flow=" + std::to_string(counts.flow) +
                " budget=" + std::to_string(counts.budget) +
                " quota=" + std::to_string(counts.quota) +
                " (set FF_FLOW_PARTITIONS / FF_BUDGET_PARTITIONS / FF_QUOTA_PARTITIONS to the "
                "stored values; changing them would strand existing data)";
    return e;
  }
  return classify_store_error(env->status, env->detail());
}

expected<unit> valkey_backend::seed_lanes(const std::vector<std::string>& lanes) {
  if (lanes.empty())
    return unit{};
  const std::string now = std::to_string(now_ms());
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> sadd{"SADD", k::lanes_index_key()};
  sadd.insert(sadd.end(), lanes.begin(), lanes.end());
  commands.push_back(std::move(sadd));
  for (const auto& lane : lanes)
    commands.push_back({"HSETNX", k::lane_config_key(lane), "created_at", now});
  auto replies = conn_.pipeline(commands);
  if (!replies)
    return std::move(replies).error();
  for (const auto& r : *replies)
    if (r.is_error())
      return classify_redis_error_reply("lane registry", r.str);
  return unit{};
}

expected<backend_boot_report> valkey_backend::prepare(const backend_boot_options& opts) {
  backend_boot_report report;
  auto server = read_server_identity();
  if (!server)
    return std::move(server).error();
  report.server_version = server->version;

  auto loaded = loaded_library_version();
  if (!loaded)
    return std::move(loaded).error();
  const std::string& embedded = flowfabric_library_version();
  if (opts.force_library_reload || *loaded != embedded) {
    if (auto r = load_library(); !r)
      return std::move(r).error();
    // Another node may have loaded a different build in between; insist on ours.
    auto now_loaded = loaded_library_version();
    if (!now_loaded)
      return std::move(now_loaded).error();
    if (*now_loaded != embedded) {
      engine_error e = engine_error::internal("library load: version check failed");
      e.message = "library load: loaded flowfabric " + embedded + " but the server reports '" +
                  *now_loaded + "'";
      return e;
    }
    report.library_loaded = true;
  }
  report.library_version = embedded;

  auto written = init_partition_config(opts.partitions);
  if (!written)
    return std::move(written).error();
  report.partitions_written = *written;

  if (auto r = seed_lanes(opts.lanes); !r)
    return std::move(r).error();
  return report;
}

expected<unit> valkey_backend::ping() {
  auto reply = conn_.command({"PING"});
  if (!reply)
    return std::move(reply).error();
  if (reply->is_error())
    return classify_redis_error_reply("PING", reply->str);
  return unit{};
}

// --- executions -----------------------------------------------------------

namespace {

// The keys and arguments of ff_create_execution for one execution.
function_call_args create_call(const create_execution_args& a) {
  const std::string tag = a.execution_id.tag();
  const execution_id& eid = a.execution_id;
  function_call_args c;
  c.keys = {
      k::exec_core_key(eid),
      k::exec_payload_key(eid),
      k::exec_policy_key(eid),
      k::exec_tags_key(eid),
      k::lane_eligible_key(tag, a.lane_id),
      k::lane_delayed_key(tag, a.lane_id),
      a.idempotency_key.empty() ? k::noop_key(tag)
                                : k::idempotency_key(tag, a.namespace_name, a.idempotency_key),
      k::execution_deadline_key(tag),
      k::all_executions_key(tag),
  };
  c.args = {
      eid.value,
      a.namespace_name,
      a.lane_id,
      a.execution_kind,
      a.input_payload,
      a.payload_encoding,
      std::to_string(a.priority),
      a.creator_identity,
      a.idempotency_key,
      a.tags.empty() ? std::string() : json_object_of_strings(a.tags),
      a.policy_json,
      a.required_capabilities,
      a.budget_ids,
      a.quota_policy_id,
      optional_ms(a.delay_until),
      optional_ms(a.execution_deadline_at),
      std::to_string(eid.partition),
  };
  return c;
}

expected<create_execution_outcome> create_outcome_of(expected<lua_envelope> env) {
  if (!env)
    return std::move(env).error();
  create_execution_outcome out;
  out.execution_id = env->field(0);
  if (env->status == "OK") {
    out.created = true;
    valkey_detail::field_reader r(*env, "ff_create_execution");
    if (!r.enumerated(1, out.public_state))
      return r.error();
  } else if (env->status != "DUPLICATE") {
    return engine_error::internal("ff_create_execution: unexpected status " + env->status);
  }
  return out;
}

} // namespace

expected<create_execution_outcome> valkey_backend::create_execution(
    const create_execution_args& a) {
  auto call = create_call(a);
  return create_outcome_of(call_function(conn_, "ff_create_execution", call.keys, call.args));
}

expected<create_batch_outcome> valkey_backend::create_executions(const create_batch_args& a) {
  std::vector<function_call_args> calls;
  calls.reserve(a.items.size());
  for (const auto& item : a.items)
    calls.push_back(create_call(item));
  auto replies = call_function_pipelined(conn_, "ff_create_execution", calls);
  if (!replies)
    return std::move(replies).error();
  create_batch_outcome out;
  out.items.reserve(replies->size());
  for (auto& reply : *replies) {
    create_batch_item item;
    auto outcome = create_outcome_of(std::move(reply));
    item.ok = outcome.has_value();
    if (item.ok)
      item.outcome = std::move(*outcome);
    else
      item.error = std::move(outcome).error();
    out.items.push_back(std::move(item));
  }
  return out;
}

expected<execution_info> valkey_backend::get_execution(const execution_id& eid) {
  auto env = call_function(conn_, "ff_get_execution", {k::exec_core_key(eid)}, {},
                           call_mode::read_only);
  if (!env)
    return std::move(env).error();
  std::map<std::string, std::string> f;
  for (std::size_t i = 0; i + 1 < env->fields.size(); i += 2)
    f[env->field(i)] = env->field(i + 1);

  execution_info info;
  info.execution_id = f["execution_id"];
  info.namespace_name = f["namespace"];
  info.lane_id = f["lane_id"];
  info.execution_kind = f["execution_kind"];
  info.state.lifecycle_phase = f["lifecycle_phase"];
  info.state.ownership_state = f["ownership_state"];
  info.state.eligibility_state = f["eligibility_state"];
  info.state.blocking_reason = f["blocking_reason"];
  info.state.terminal_outcome = f["terminal_outcome"];
  info.state.attempt_state = f["attempt_state"];
  info.state.public_state = f["public_state"];
  info.flow_id = f["flow_id"];
  info.blocking_detail = f["blocking_detail"];
  info.last_error_code = f["failure_category"];
  info.last_error_message = f["failure_reason"];
  info.last_error_details = f["failure_details"];
  info.progress_message = f["progress_message"];
  info.cancel_reason = f["cancellation_reason"];
  if (auto ok = validate_state_vector(info.state); !ok)
    return std::move(ok).error();
  // The label is always the derivation of the vector (decisions.md §3).
  info.state.public_state = derive_public_state(info.state);
  const char* bad = nullptr;
  if (!parse_int(f["priority"], info.priority)) bad = "priority";
  else if (!parse_int(f["created_at"], info.created_at)) bad = "created_at";
  else if (!parse_int(f["started_at"], info.started_at)) bad = "started_at";
  else if (!parse_int(f["completed_at"], info.completed_at)) bad = "completed_at";
  else if (!parse_int(f["current_attempt_index"], info.current_attempt_index))
    bad = "current_attempt_index";
  else if (!f["progress_pct"].empty() && !parse_int(f["progress_pct"], info.progress_pct))
    bad = "progress_pct";
  if (bad)
    return classify_store_error("corrupt_exec_core", std::string(bad) + ":" + f[bad]);
  return info;
}

expected<std::string> valkey_backend::get_execution_state(const execution_id& eid) {
  auto env = call_function(conn_, "ff_get_execution_state", {k::exec_core_key(eid)}, {},
                           call_mode::read_only);
  if (!env)
    return std::move(env).error();
  state_vector v;
  v.public_state = env->field(0);
  v.lifecycle_phase = env->field(1);
  v.ownership_state = env->field(2);
  v.eligibility_state = env->field(3);
  v.blocking_reason = env->field(4);
  v.terminal_outcome = env->field(5);
  v.attempt_state = env->field(6);
  if (auto ok = validate_state_vector(v); !ok)
    return std::move(ok).error();
  return derive_public_state(v);
}

expected<execution_result> valkey_backend::get_execution_result(const execution_id& eid) {
  auto env = call_function(conn_, "ff_get_execution_result",
                           {k::exec_core_key(eid), k::exec_result_key(eid)}, {},
                           call_mode::read_only);
  if (!env)
    return std::move(env).error();
  execution_result out;
  if (env->status == "OK") {
    out.found = true;
    out.bytes = env->field(0);
  }
  return out;
}

expected<execution_page> valkey_backend::list_executions(const list_executions_args& a) {
  auto env = call_function(conn_, "ff_list_executions",
                           {k::all_executions_key(flow_partition_tag(a.partition))},
                           {a.cursor, std::to_string(a.limit)}, call_mode::read_only);
  if (!env)
    return std::move(env).error();
  execution_page page;
  page.next_cursor = env->field(0);
  for (std::size_t i = 1; i < env->fields.size(); ++i)
    page.execution_ids.push_back(env->field(i));
  return page;
}

std::unique_ptr<engine_backend> make_valkey_backend(const valkey_options& opts) {
  return std::make_unique<valkey_backend>(opts);
}

} // namespace ff
