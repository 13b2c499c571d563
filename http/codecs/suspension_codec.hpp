#pragma once
// JSON ⇄ the suspension routes (handlers/suspension.cpp): the fenced
// suspend and pending-waitpoint creation (decisions.md §5.1), signal
// delivery (rest-api.md §3.9), the pending-waitpoint listing (§2.4, §3.5,
// paginated per decisions.md §3), the operator token read (§3.6) and the
// secret rotation (§3.27).

#include <cstdint>
#include <string>

#include <rapidjson/document.h>

#include "actors/engine_gateway.hpp"
#include "core/suspension.hpp"
#include "http/request_decoding.hpp"

namespace ff {

constexpr std::uint32_t default_pending_waitpoints_page = 100;

// POST /v1/executions/{id}/suspend (decisions.md §5.1): the shape here,
// then validate_suspend_args (core/suspension.hpp). Fresh waitpoints leave
// id and token empty and suspension_id is left empty: the node mints them.
// `now_ms` turns timeout_ms into the absolute timeout_at.
decoded<on_partition<suspend_args>> decode_suspend(const route_params& path,
                                                   const rapidjson::Value& body,
                                                   std::int64_t now_ms);
// POST /v1/executions/{id}/waitpoints (extension: a pending waitpoint the
// worker hands out before it suspends): the shape, then
// validate_pending_waitpoint_args. Id and token left for the node.
decoded<on_partition<create_pending_waitpoint_args>> decode_create_pending_waitpoint(
    const route_params& path, const rapidjson::Value& body, std::int64_t now_ms);

// A signal for one waitpoint, with the token the node verifies first.
struct signal_request {
  deliver_signal_args args;
  std::string token;
};

// POST /v1/executions/{id}/signal. Order: body shape (422) → path id (400)
// → body id equals path id (400). An empty waitpoint_token passes here and
// is refused by the node (missing_token → 400).
decoded<on_partition<signal_request>> decode_signal(const route_params& path,
                                                    const rapidjson::Value& body);

// GET /v1/executions/{id}/pending-waitpoints?cursor=&limit= (path id, then
// the query: cursor a waitpoint UUID or empty, limit 1..=1000).
decoded<on_partition<list_pending_waitpoints_args>> decode_list_pending_waitpoints(
    const route_params& path, std::string_view query);

// GET /v1/executions/{id}/waitpoints/{waitpoint_id}/token: path id, then
// the waitpoint UUID (400 `waitpoint_id: <reason>`).
struct token_lookup {
  ff::execution_id execution_id;
  std::string waitpoint_id;
};
decoded<on_partition<token_lookup>> decode_token_lookup(const route_params& path);

// POST /v1/admin/rotate-waitpoint-secret: shape, then §3.27 checks 1 and 2.
struct rotate_request {
  std::string new_kid;
  std::string new_secret_hex;
};
decoded<rotate_request> decode_rotate(const rapidjson::Value& body);

// {"suspension_id","status","waitpoints":[{"waitpoint_id","waitpoint_key",
// "waitpoint_token"}]}, plus "signals" (lease shape) when already_satisfied.
std::string encode_suspend_outcome(const suspend_outcome& outcome);
// {"waitpoint_id","waitpoint_key","waitpoint_token"}
std::string encode_waitpoint_binding(const waitpoint_binding& binding);
// {"Accepted":{"signal_id","effect"}} or {"Duplicate":{"existing_signal_id"}}
std::string encode_signal_outcome(const deliver_signal_outcome& outcome);
// A bare JSON array of PendingWaitpointInfo (activated_at / expires_at
// omitted when 0).
std::string encode_pending_waitpoints(const pending_waitpoint_page& page);
// {"token":"<kid>:<hex>"}
std::string encode_waitpoint_token(const std::string& token);
// {"rotated":N,"failed":[..],"new_kid":".."}
std::string encode_rotation_report(const rotation_report& report);

// The §3.27 / §3.6 responses that do not come from the engine's mapping.
http_response rotation_response(expected<rotation_report> result);
http_response token_response(expected<std::string> result);

} // namespace ff
