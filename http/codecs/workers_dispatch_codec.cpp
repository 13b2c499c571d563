#include "http/codecs/workers_dispatch_codec.hpp"

#include <algorithm>

#include "http/error_mapping.hpp"
#include "http/json_codec.hpp"

namespace ff {

namespace {

// Body fields shared by acquire and the reference claim.
struct dispatch_body {
  std::string worker_id; // only in a `next` object; the routes take it from the path
  std::uint32_t max_tasks = 0;
  std::string lane_id;
  std::string worker_instance_id;
  std::vector<std::string> capabilities;
  std::uint64_t lease_ttl_ms = static_cast<std::uint64_t>(default_lease_ttl_ms);
  std::uint64_t grant_ttl_ms = 0;
  std::uint64_t wait_ms = 0;
};

enum class dispatch_kind : std::uint8_t { acquire, grant, next };

// Shape, then the checks of rest-api.md §3.14 in its order (worker_id,
// worker_instance_id, lane_id, then the route's ttl), then wait_ms, the
// capability tokens and max_tasks. `path` is null for a `next` object,
// which names its worker itself.
decoded<acquire_request> decode_dispatch(const route_params* path, const rapidjson::Value& body,
                                         dispatch_kind kind, const std::string& prefix = {}) {
  using result = acquire_request;
  const bool grant_only = kind == dispatch_kind::grant;
  field_reader r(body, prefix);
  dispatch_body b;
  if (!path) r.string("worker_id", b.worker_id, true);
  r.string("lane_id", b.lane_id, true);
  r.string("worker_instance_id", b.worker_instance_id, true);
  r.string_array("capabilities", b.capabilities, false);
  if (grant_only) r.integer("grant_ttl_ms", b.grant_ttl_ms, true);
  else r.integer("lease_ttl_ms", b.lease_ttl_ms, false);
  r.integer("wait_ms", b.wait_ms, false);
  const bool has_max = !grant_only && r.integer("max_tasks", b.max_tasks, false);
  if (!r.ok()) return failed<result>(unprocessable_json(r.error()));

  acquire_request out;
  dispatch_request& req = out.dispatch;
  http_response error;
  if (path) {
    if (!path_worker_id(*path, req.worker_id, error)) return failed<result>(error);
  } else if (auto p = identifier_problem(prefix + "worker_id", b.worker_id); !p.empty()) {
    return failed<result>(bad_request(p));
  } else {
    req.worker_id = std::move(b.worker_id);
  }
  if (auto p = identifier_problem(prefix + "worker_instance_id", b.worker_instance_id);
      !p.empty())
    return failed<result>(bad_request(p));
  if (auto p = lane_id_problem(b.lane_id); !p.empty())
    return failed<result>(bad_request(prefix + "lane_id: " + p));
  if (grant_only) {
    if (auto p = grant_ttl_problem(b.grant_ttl_ms); !p.empty())
      return failed<result>(bad_request(p));
    req.grant_ttl_ms = static_cast<std::int64_t>(b.grant_ttl_ms);
  } else {
    if (auto p = ttl_range_problem((prefix + "lease_ttl_ms").c_str(), b.lease_ttl_ms); !p.empty())
      return failed<result>(bad_request(p));
    req.lease_ttl_ms = static_cast<std::int64_t>(b.lease_ttl_ms);
  }
  if (b.wait_ms > max_dispatch_wait_ms)
    return failed<result>(bad_request(prefix + "wait_ms exceeds 30000ms ceiling"));
  auto caps = worker_capabilities_csv(std::move(b.capabilities));
  if (!caps) return failed<result>(error_response(caps.error()));
  if (has_max && (b.max_tasks < 1 || b.max_tasks > max_acquire_tasks))
    return failed<result>(bad_request(prefix + "max_tasks: expected 1 to " +
                                      std::to_string(max_acquire_tasks)));
  // A `next` always answers a list; acquire only when max_tasks is given.
  out.max_tasks = has_max ? b.max_tasks : kind == dispatch_kind::next ? 1 : 0;

  req.lane_id = std::move(b.lane_id);
  req.worker_instance_id = std::move(b.worker_instance_id);
  req.worker_capabilities = std::move(*caps);
  req.wait_ms = static_cast<std::uint32_t>(b.wait_ms);
  return success(std::move(out));
}

} // namespace

decoded<acquire_request> decode_acquire(const route_params& path, const rapidjson::Value& body) {
  return decode_dispatch(&path, body, dispatch_kind::acquire);
}

decoded<dispatch_request> decode_claim_grant(const route_params& path,
                                             const rapidjson::Value& body) {
  auto d = decode_dispatch(&path, body, dispatch_kind::grant);
  if (!d) return failed<dispatch_request>(std::move(d.error));
  return success(std::move(d.args->dispatch));
}

decoded<std::optional<acquire_request>> decode_next(const rapidjson::Value& body) {
  using result = std::optional<acquire_request>;
  auto member = body.FindMember("next");
  if (member == body.MemberEnd() || member->value.IsNull()) return success(result{});
  if (!member->value.IsObject())
    return failed<result>(unprocessable_json("next: expected an object"));
  auto d = decode_dispatch(nullptr, member->value, dispatch_kind::next, "next.");
  if (!d) return failed<result>(std::move(d.error));
  return success(result{std::move(*d.args)});
}

std::string encode_leases(const std::vector<claimed_lease>& leases) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "leases");
  write_leases(w, leases);
  w.EndObject();
  return json_text(buf);
}

decoded<register_worker_args> decode_heartbeat(const route_params& path,
                                               const rapidjson::Value& body, std::int64_t now) {
  field_reader r(body);
  register_worker_args args;
  std::vector<std::string> caps;
  std::uint64_t ttl = static_cast<std::uint64_t>(args.ttl_ms);
  r.string("worker_instance_id", args.worker_instance_id, true);
  r.string("namespace", args.namespace_name, false);
  r.string_array("lanes", args.lanes, false);
  r.string_array("capabilities", caps, false);
  r.integer("ttl_ms", ttl, false);
  if (!r.ok()) return failed<register_worker_args>(unprocessable_json(r.error()));

  http_response error;
  if (!path_worker_id(path, args.worker_id, error)) return failed<register_worker_args>(error);
  if (auto p = identifier_problem("worker_instance_id", args.worker_instance_id); !p.empty())
    return failed<register_worker_args>(bad_request(p));
  if (args.namespace_name.empty())
    return failed<register_worker_args>(bad_request("namespace: must not be empty"));
  for (std::size_t i = 0; i < args.lanes.size(); ++i)
    if (auto p = lane_id_problem(args.lanes[i]); !p.empty())
      return failed<register_worker_args>(
          bad_request("lanes[" + std::to_string(i) + "]: " + p));
  if (auto p = ttl_range_problem("ttl_ms", ttl); !p.empty())
    return failed<register_worker_args>(bad_request(p));
  auto csv = worker_capabilities_csv(std::move(caps));
  if (!csv) return failed<register_worker_args>(error_response(csv.error()));
  std::sort(args.lanes.begin(), args.lanes.end());
  args.lanes.erase(std::unique(args.lanes.begin(), args.lanes.end()), args.lanes.end());
  args.capabilities = std::move(*csv);
  args.ttl_ms = static_cast<std::int64_t>(ttl);
  args.now_ms = now;
  return success(std::move(args));
}

std::string encode_claim_grant(const claim_grant& g) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "execution_id");
  write_string(w, g.execution_id);
  write_key(w, "partition_key");
  write_string(w, g.partition_key);
  write_key(w, "grant_key");
  write_string(w, g.grant_key);
  write_key(w, "expires_at_ms");
  w.Uint64(g.expires_at_ms < 0 ? 0 : static_cast<std::uint64_t>(g.expires_at_ms));
  w.EndObject();
  return json_text(buf);
}

std::string encode_worker_liveness(const worker_liveness& l) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "status");
  write_string(w, l.status);
  write_key(w, "next_expiry_ms");
  w.Int64(l.next_expiry_ms);
  w.EndObject();
  return json_text(buf);
}

} // namespace ff
