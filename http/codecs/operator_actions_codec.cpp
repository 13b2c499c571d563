#include "http/codecs/operator_actions_codec.hpp"

#include <algorithm>

#include "core/execution.hpp"
#include "http/error_mapping.hpp"
#include "http/json_codec.hpp"

namespace ff {

namespace {

// {"<Variant>":{<key>:<value>...}} with string values.
std::string tagged(std::string_view variant,
                   std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, variant);
  w.StartObject();
  for (const auto& [k, v] : fields) {
    write_key(w, k);
    write_string(w, v);
  }
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

} // namespace

decoded<on_partition<cancel_args>> decode_cancel(const route_params& path,
                                                 const rapidjson::Value& body) {
  using result = on_partition<cancel_args>;
  field_reader r(body);
  result out;
  auto& a = out.args;
  std::string body_id;
  execution_id_field(r, body_id);
  r.string("reason", a.reason, true);
  r.string("source", a.source, false);
  uuid_field(r, "lease_id", a.fence.lease_id, false);
  r.integer("lease_epoch", a.fence.lease_epoch, false);
  uuid_field(r, "attempt_id", a.fence.attempt_id, false);
  std::int64_t now = 0;
  r.integer("now", now, true);
  if (!r.ok()) return failed<result>(unprocessable_json(r.error()));

  execution_id id;
  http_response error;
  if (!path_execution_id_matching(path, body_id, id, error)) return failed<result>(error);
  if (a.source.empty()) a.source = "operator_override";
  a.execution_id = id;
  out.partition = id.partition;
  return success(std::move(out));
}

decoded<on_partition<change_priority_args>> decode_change_priority(const route_params& path,
                                                                   const rapidjson::Value& body) {
  using result = on_partition<change_priority_args>;
  field_reader r(body);
  result out;
  r.integer("new_priority", out.args.priority, true);
  if (!r.ok()) return failed<result>(unprocessable_json(r.error()));
  execution_id id;
  http_response error;
  if (!path_execution_id(path, id, error)) return failed<result>(error);
  out.args.priority = std::clamp(out.args.priority, min_priority, max_priority);
  out.args.execution_id = id;
  out.partition = id.partition;
  return success(std::move(out));
}

decoded<on_partition<claim_grant_args>> decode_reclaim(const route_params& path,
                                                       const rapidjson::Value& body) {
  using result = on_partition<claim_grant_args>;
  field_reader r(body);
  result out;
  auto& a = out.args;
  std::uint64_t grant_ttl = 0;
  std::vector<std::string> caps;
  r.string("worker_id", a.worker_id, true);
  r.string("worker_instance_id", a.worker_instance_id, true);
  r.string("lane_id", a.lane_id, true);
  r.string("capability_hash", a.capability_hash, false);
  r.integer("grant_ttl_ms", grant_ttl, true);
  r.string("route_snapshot_json", a.route_snapshot_json, false);
  r.string("admission_summary", a.admission_summary, false);
  r.string_array("worker_capabilities", caps, false);
  if (!r.ok()) return failed<result>(unprocessable_json(r.error()));

  execution_id id;
  http_response error;
  if (!path_execution_id(path, id, error)) return failed<result>(error);
  if (auto p = worker_identity_problem(a.worker_id, a.worker_instance_id, a.lane_id); !p.empty())
    return failed<result>(bad_request(p));
  if (auto p = grant_ttl_problem(grant_ttl); !p.empty()) return failed<result>(bad_request(p));
  auto csv = worker_capabilities_csv(std::move(caps));
  if (!csv) return failed<result>(error_response(csv.error()));
  a.worker_capabilities = std::move(*csv);
  a.grant_ttl_ms = static_cast<std::int64_t>(grant_ttl);
  a.execution_id = id;
  out.partition = id.partition;
  return success(std::move(out));
}

std::string encode_cancelled(const std::string& execution_id) {
  return tagged("Cancelled", {{"execution_id", execution_id}, {"public_state", "cancelled"}});
}

std::string encode_priority_changed(const std::string& execution_id) {
  return tagged("Changed", {{"execution_id", execution_id}});
}

std::string encode_replayed(const replay_outcome& outcome) {
  return tagged("Replayed", {{"public_state", text_of(outcome.public_state)}});
}

std::string encode_revoke_outcome(const revoke_outcome& o) {
  if (o.revoked) {
    // The epoch travels as a decimal string in this answer (rest-api.md §3.12).
    auto epoch = std::to_string(o.lease_epoch);
    return tagged("Revoked", {{"lease_id", o.lease_id}, {"lease_epoch", epoch}});
  }
  return tagged("AlreadySatisfied",
                {{"reason", o.already_satisfied.empty() ? "no_active_lease" : o.already_satisfied}});
}

std::string encode_reclaim_outcome(const reclaim_grant_outcome& o,
                                   const std::string& execution_id) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_field(w, "status", text_of(o.status));
  switch (o.status) {
    case reclaim_grant_status::granted:
      write_field(w, "execution_id",
                  o.grant.execution_id.empty() ? execution_id : o.grant.execution_id);
      write_field(w, "partition_key", o.grant.partition_key);
      write_field(w, "grant_key", o.grant.grant_key);
      write_key(w, "expires_at_ms");
      w.Uint64(o.grant.expires_at_ms < 0 ? 0 : static_cast<std::uint64_t>(o.grant.expires_at_ms));
      write_field(w, "lane_id", o.grant.lane_id);
      break;
    case reclaim_grant_status::not_reclaimable:
      write_field(w, "execution_id", execution_id);
      write_field(w, "detail", o.detail);
      break;
    case reclaim_grant_status::reclaim_cap_exceeded:
      write_field(w, "execution_id", execution_id);
      write_key(w, "reclaim_count");
      w.Uint(o.reclaim_count);
      break;
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

} // namespace ff
