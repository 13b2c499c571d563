#pragma once
// JSON ⇄ the operator routes of rest-api.md (handlers/operator_actions.cpp):
// cancel (§3.8), priority (§3.10), replay (§3.11), revoke-lease (§3.12) and
// reclaim (§3.13), with their externally tagged (or, for reclaim,
// `status`-tagged) answers.

#include <string>

#include <rapidjson/document.h>

#include "core/lease.hpp"
#include "http/request_decoding.hpp"

namespace ff {

// Body decode → path id → body id must equal the path id.
decoded<on_partition<cancel_args>> decode_cancel(const route_params& path,
                                                 const rapidjson::Value& body);
decoded<on_partition<change_priority_args>> decode_change_priority(const route_params& path,
                                                                   const rapidjson::Value& body);
// Check order: execution id, worker_id, worker_instance_id, lane_id,
// grant_ttl_ms (then the capability tokens).
decoded<on_partition<claim_grant_args>> decode_reclaim(const route_params& path,
                                                       const rapidjson::Value& body);

std::string encode_cancelled(const std::string& execution_id);
std::string encode_priority_changed(const std::string& execution_id);
std::string encode_replayed(const replay_outcome& outcome);
std::string encode_revoke_outcome(const revoke_outcome& outcome);
std::string encode_reclaim_outcome(const reclaim_grant_outcome& outcome,
                                   const std::string& execution_id);

} // namespace ff
