#pragma once
// JSON ⇄ the worker protocol of decisions.md §5/§5.1: the dispatch routes
// (acquire, the reference claim of rest-api.md §3.14 with its wait_ms
// extension, heartbeat), the grant consumption, and the lease-holder routes
// that carry the fence (renew, complete, fail, progress, stream append).

#include <cstdint>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "core/lease.hpp"
#include "core/stream.hpp"
#include "core/suspension.hpp"
#include "core/worker.hpp"
#include "http/request_decoding.hpp"

namespace ff {

constexpr std::int64_t min_lease_ttl_ms = 1'000;
constexpr std::int64_t max_lease_ttl_ms = 3'600'000;
constexpr std::uint32_t max_wait_ms = 30'000;
constexpr std::int64_t max_grant_ttl_ms = 60'000;
constexpr std::size_t max_frames_per_append = 64;
constexpr std::size_t max_waitpoint_key_bytes = 256;
// Ceiling of timeout_ms / expires_in_ms: one year.
constexpr std::int64_t max_wait_duration_ms = 31'536'000'000;

// Arguments of an operation on one execution, with the partition it lives on.
template <class T>
struct on_partition {
  std::uint16_t partition = 0;
  T args;
};

// POST /v1/workers/{worker_id}/acquire
decoded<dispatch_request> decode_acquire(const route_params& path, const rapidjson::Value& body);
// POST /v1/workers/{worker_id}/claim (rest-api.md §3.14 + wait_ms)
decoded<dispatch_request> decode_claim_grant(const route_params& path,
                                             const rapidjson::Value& body);
// POST /v1/workers/{worker_id}/heartbeat
decoded<register_worker_args> decode_heartbeat(const route_params& path,
                                               const rapidjson::Value& body, std::int64_t now_ms);
// POST /v1/executions/{id}/claim. lease_id / attempt_id are left empty: the
// handler mints them.
decoded<on_partition<claim_execution_args>> decode_claim_execution(const route_params& path,
                                                                   const rapidjson::Value& body);

// Lease-holder routes (fence in the body).
decoded<on_partition<renew_lease_args>> decode_renew(const route_params& path,
                                                     const rapidjson::Value& body);
decoded<on_partition<complete_args>> decode_complete(const route_params& path,
                                                     const rapidjson::Value& body);
decoded<on_partition<fail_args>> decode_fail(const route_params& path,
                                             const rapidjson::Value& body);
decoded<on_partition<progress_args>> decode_progress(const route_params& path,
                                                     const rapidjson::Value& body);
// POST /v1/executions/{id}/attempts/{idx}/stream; `path_index` is the
// already-parsed `{idx}`. One append per frame, in order.
decoded<on_partition<std::vector<append_frame_args>>> decode_append_frames(
    const route_params& path, std::uint32_t path_index, const rapidjson::Value& body);

// POST /v1/executions/{id}/suspend (decisions.md §5.1). Fresh waitpoints
// leave id and token empty and suspension_id is left empty: the node mints
// them. `now_ms` turns timeout_ms into the absolute timeout_at.
decoded<on_partition<suspend_args>> decode_suspend(const route_params& path,
                                                   const rapidjson::Value& body,
                                                   std::int64_t now_ms);
// POST /v1/executions/{id}/waitpoints (extension: a pending waitpoint the
// worker hands out before it suspends). Id and token left for the node.
decoded<on_partition<create_pending_waitpoint_args>> decode_create_pending_waitpoint(
    const route_params& path, const rapidjson::Value& body, std::int64_t now_ms);

// Standard base64 (RFC 4648 §4), padding optional; false on anything else.
bool base64_decode(std::string_view in, std::string& out);

// The lease object of decisions.md §5.1 (acquire and executions/{id}/claim).
// `signals` is always present: `[]` unless the attempt resumes a suspension.
std::string encode_claimed_lease(const claimed_lease& lease);
// The flat grant of rest-api.md §3.14.
std::string encode_claim_grant(const claim_grant& grant);
std::string encode_renew_outcome(const renew_outcome& outcome);
std::string encode_fail_outcome(const fail_outcome& outcome);
// {"suspension_id","status","waitpoints":[{"waitpoint_id","waitpoint_key",
// "waitpoint_token"}]}, plus "signals" (lease shape) when already_satisfied.
std::string encode_suspend_outcome(const suspend_outcome& outcome);
// {"waitpoint_id","waitpoint_key","waitpoint_token"}
std::string encode_waitpoint_binding(const waitpoint_binding& binding);
std::string encode_worker_liveness(const worker_liveness& liveness);
// {"appended":[{"id":..}],"frame_count":..,"summary_version":..}
std::string encode_appended_frames(const std::vector<append_frame_outcome>& appended);

} // namespace ff
