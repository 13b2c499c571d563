#include "http/codecs/executions_read_codec.hpp"

#include "http/error_mapping.hpp"
#include "http/json_codec.hpp"

namespace ff {

std::string encode_execution_info(const execution_info& info) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_field(w, "execution_id", info.execution_id);
  write_field(w, "namespace", info.namespace_name);
  write_field(w, "lane_id", info.lane_id);
  write_key(w, "priority");
  w.Int(info.priority);
  write_field(w, "execution_kind", info.execution_kind);
  write_key(w, "state_vector");
  w.StartObject();
  write_field(w, "lifecycle_phase", info.state.lifecycle_phase);
  write_field(w, "ownership_state", info.state.ownership_state);
  write_field(w, "eligibility_state", info.state.eligibility_state);
  write_field(w, "blocking_reason", info.state.blocking_reason);
  write_field(w, "terminal_outcome", info.state.terminal_outcome);
  write_field(w, "attempt_state", info.state.attempt_state);
  write_field(w, "public_state", info.state.public_state);
  w.EndObject();
  write_field(w, "public_state", info.state.public_state);
  // Times travel as decimal strings; unset ones are omitted (§2.1).
  write_field(w, "created_at", std::to_string(info.created_at));
  if (info.started_at != 0) write_field(w, "started_at", std::to_string(info.started_at));
  if (info.completed_at != 0) write_field(w, "completed_at", std::to_string(info.completed_at));
  write_key(w, "current_attempt_index");
  w.Uint(info.current_attempt_index);
  write_key(w, "flow_id");
  if (info.flow_id.empty()) w.Null();
  else write_string(w, info.flow_id);
  write_field(w, "blocking_detail", info.blocking_detail);
  // Beyond the reference: what operators ask first about an execution.
  write_key(w, "last_error");
  if (info.last_error_code.empty() && info.last_error_message.empty()) {
    w.Null();
  } else {
    w.StartObject();
    write_field(w, "code", info.last_error_code);
    write_field(w, "message", info.last_error_message);
    write_key(w, "details");
    if (info.last_error_details.empty()) w.Null();
    else w.RawValue(info.last_error_details.data(), info.last_error_details.size(),
                    rapidjson::kObjectType);
    w.EndObject();
  }
  write_key(w, "progress");
  if (info.progress_pct < 0) {
    w.Null();
  } else {
    w.StartObject();
    write_key(w, "pct");
    w.Int(info.progress_pct);
    write_field(w, "message", info.progress_message);
    w.EndObject();
  }
  write_key(w, "cancel_reason");
  if (info.cancel_reason.empty()) w.Null();
  else write_string(w, info.cancel_reason);
  w.EndObject();
  return json_text(buf);
}

std::string encode_execution_state(const std::string& public_state) {
  return json_quote(public_state);
}

http_response read_error_response(const engine_error& e, const std::string& missing) {
  if (e.kind == error_kind::not_found) return error_response(engine_error::not_found(missing));
  return error_response(e);
}

} // namespace ff
