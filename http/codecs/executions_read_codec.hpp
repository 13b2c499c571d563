#pragma once
// JSON ⇄ GET /v1/executions/{id}, .../state and .../result (handlers/
// executions_read.cpp; rest-api.md §3.3, §3.4, §3.7).

#include <string>

#include "core/engine_error.hpp"
#include "core/execution.hpp"
#include "http/http_types.hpp"

namespace ff {

// ExecutionInfo (rest-api.md §2.1).
std::string encode_execution_info(const execution_info& info);
// The public state as a bare JSON string.
std::string encode_execution_state(const std::string& public_state);

// These routes answer a missing execution (or result) with the server-level
// wording `missing` ("execution not found: <eid>") rather than the engine's
// `not found: execution`; any other error goes through the engine's mapping.
http_response read_error_response(const engine_error& e, const std::string& missing);

} // namespace ff
