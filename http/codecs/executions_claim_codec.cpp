#include "http/codecs/executions_claim_codec.hpp"

#include "http/json_codec.hpp"

namespace ff {

decoded<on_partition<claim_execution_args>> decode_claim_execution(const route_params& path,
                                                                   const rapidjson::Value& body) {
  using result = on_partition<claim_execution_args>;
  field_reader r(body);
  result out;
  auto& a = out.args;
  std::uint64_t ttl = static_cast<std::uint64_t>(default_lease_ttl_ms);
  r.string("worker_id", a.worker_id, true);
  r.string("worker_instance_id", a.worker_instance_id, true);
  r.string("lane_id", a.lane_id, true);
  r.integer("lease_ttl_ms", ttl, false);
  if (!r.ok()) return failed<result>(unprocessable_json(r.error()));

  // The order of the reclaim route (rest-api.md §3.13).
  execution_id id;
  http_response error;
  if (!path_execution_id(path, id, error)) return failed<result>(error);
  if (auto p = worker_identity_problem(a.worker_id, a.worker_instance_id, a.lane_id); !p.empty())
    return failed<result>(bad_request(p));
  if (auto p = ttl_range_problem("lease_ttl_ms", ttl); !p.empty())
    return failed<result>(bad_request(p));
  a.lease_ttl_ms = static_cast<std::int64_t>(ttl);
  a.execution_id = id;
  out.partition = id.partition;
  return success(std::move(out));
}

} // namespace ff
