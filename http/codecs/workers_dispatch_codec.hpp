#pragma once
// JSON ⇄ the worker dispatch routes of decisions.md §5 (handlers/
// workers_dispatch.cpp): acquire, the reference claim of rest-api.md §3.14
// with its wait_ms extension, and the registry heartbeat. Acquire answers
// the lease object of http/response_encoding.hpp.

#include <cstdint>
#include <optional>
#include <vector>
#include <string>

#include <rapidjson/document.h>

#include "core/lease.hpp"
#include "core/worker.hpp"
#include "http/request_decoding.hpp"
#include "http/response_encoding.hpp"

namespace ff {

// Our extension: one acquire (or the `next` of complete / fail) hands out
// up to max_tasks leases at once.
constexpr std::uint32_t max_acquire_tasks = 100;

struct acquire_request {
  dispatch_request dispatch;
  // 0: the reference's answer (one lease object, or 204); else 1..100 and
  // the answer is {"leases":[...]}.
  std::uint32_t max_tasks = 0;
};

// POST /v1/workers/{worker_id}/acquire
decoded<acquire_request> decode_acquire(const route_params& path, const rapidjson::Value& body);
// The optional `next` object of complete and fail: acquire's body plus
// `worker_id` (errors name `next.<field>`). Empty when absent or null.
decoded<std::optional<acquire_request>> decode_next(const rapidjson::Value& body);
// POST /v1/workers/{worker_id}/claim (rest-api.md §3.14 + wait_ms)
decoded<dispatch_request> decode_claim_grant(const route_params& path,
                                             const rapidjson::Value& body);
// POST /v1/workers/{worker_id}/heartbeat
decoded<register_worker_args> decode_heartbeat(const route_params& path,
                                               const rapidjson::Value& body, std::int64_t now_ms);

// {"leases":[lease, ...]}
std::string encode_leases(const std::vector<claimed_lease>& leases);
// The flat grant of rest-api.md §3.14.
std::string encode_claim_grant(const claim_grant& grant);
std::string encode_worker_liveness(const worker_liveness& liveness);

} // namespace ff
