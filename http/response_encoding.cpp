#include "http/response_encoding.hpp"

#include <rapidjson/document.h>

#include "http/error_mapping.hpp"

namespace ff {

void write_signals(json_writer& w, const std::vector<delivered_signal>& signals) {
  w.StartArray();
  for (const auto& s : signals) {
    w.StartObject();
    write_key(w, "signal_id");
    write_string(w, s.signal_id);
    write_key(w, "signal_name");
    write_string(w, s.signal_name);
    write_key(w, "source_identity");
    write_string(w, s.source_identity);
    write_key(w, "payload");
    write_byte_array(w, s.payload);
    w.EndObject();
  }
  w.EndArray();
}

void write_error_members(json_writer& w, const engine_error& error) {
  auto e = render_error(error);
  write_u64(w, "status", e.status);
  write_field(w, "error", e.error);
  if (!e.kind.empty()) write_field(w, "kind", e.kind);
  if (e.retryable >= 0) {
    write_key(w, "retryable");
    w.Bool(e.retryable == 1);
  }
}

std::string encode_claimed_lease(const claimed_lease& l) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  write_claimed_lease(w, l);
  return json_text(buf);
}

void write_leases(json_writer& w, const std::vector<claimed_lease>& leases) {
  w.StartArray();
  for (const auto& l : leases) write_claimed_lease(w, l);
  w.EndArray();
}

void write_claimed_lease(json_writer& w, const claimed_lease& l) {
  w.StartObject();
  write_field(w, "execution_id", l.execution_id);
  write_u64(w, "attempt_index", l.attempt_index);
  write_field(w, "attempt_id", l.attempt_id);
  write_field(w, "attempt_type", text_of(l.attempt_type));
  write_field(w, "lease_id", l.lease_id);
  write_u64(w, "lease_epoch", l.lease_epoch);
  write_key(w, "lease_expires_at");
  w.Int64(l.lease_expires_at);
  write_field(w, "lane_id", l.lane_id);
  write_field(w, "execution_kind", l.execution_kind);
  // Bytes as an array of integers, like create's input (rest-api.md §1.2).
  write_key(w, "input_payload");
  write_byte_array(w, l.input_payload);
  write_key(w, "payload_encoding");
  if (l.payload_encoding.empty()) w.Null();
  else write_string(w, l.payload_encoding);
  write_key(w, "tags");
  w.StartObject();
  for (const auto& [k, v] : l.tags) write_field(w, k, v);
  w.EndObject();
  // The stored policy, embedded as an object; anything unreadable reads as
  // "no policy" rather than failing a lease the worker already holds.
  write_key(w, "policy");
  rapidjson::Document policy;
  if (!l.policy_json.empty() && parse_json_text(l.policy_json, policy, nullptr) &&
      policy.IsObject()) {
    policy.Accept(w);
  } else {
    w.StartObject();
    w.EndObject();
  }
  // Always present, so a worker reads one shape whatever the attempt type.
  write_key(w, "signals");
  write_signals(w, l.signals);
  w.EndObject();
}

} // namespace ff
