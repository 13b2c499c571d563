#pragma once
// JSON ⇄ POST /v1/executions/{id}/claim (handlers/executions_claim.cpp):
// the grant consumption of decisions.md §5. It answers the lease object of
// http/response_encoding.hpp, the same as acquire.

#include <rapidjson/document.h>

#include "core/lease.hpp"
#include "http/request_decoding.hpp"
#include "http/response_encoding.hpp"

namespace ff {

// lease_id / attempt_id are left empty: the handler mints them.
decoded<on_partition<claim_execution_args>> decode_claim_execution(const route_params& path,
                                                                   const rapidjson::Value& body);

} // namespace ff
