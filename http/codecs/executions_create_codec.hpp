#pragma once
// JSON ⇄ POST /v1/executions (handlers/executions_create.cpp): the create
// body (rest-api.md §3.2 with the decisions.md §1b id extension), the policy
// checks of §2.3, and the create outcome.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "core/engine_error.hpp"
#include "core/expected.hpp"
#include "core/execution.hpp"
#include "http/http_types.hpp"
#include "http/json_codec.hpp"

namespace ff {

struct create_decode_options {
  std::uint16_t flow_partitions = 0;
  std::int64_t server_now_ms = 0;
  // Picks the partition of a server-minted id; uniform random by default.
  std::function<std::uint16_t(std::uint16_t partitions)> pick_partition;
};

// Either the decoded arguments or the response to send instead (422 for a
// wrong shape, 400 for id/partition/policy rejections).
struct create_decode_result {
  std::optional<create_execution_args> args;
  http_response error;
};

create_decode_result decode_create_execution(const rapidjson::Value& body,
                                             const create_decode_options& options);

// The partition of a server-minted id with neither partition_id nor an
// idempotency key: options.pick_partition, else uniform random.
std::uint16_t minting_partition(const create_decode_options& options);

// What a valid policy contributes to the create arguments.
struct policy_summary {
  std::string policy_json = "{}";
  std::string required_capabilities; // sorted CSV
  std::string budget_ids;            // CSV of normalised UUIDs
  std::string quota_policy_id;       // normalised UUID or empty
  std::optional<std::int32_t> priority;
  std::optional<std::int64_t> delay_until;
};

// Validates an ExecutionPolicy object. Errors are validation errors with
// code `invalid_policy_json` or `invalid_capabilities` (→ 400).
expected<policy_summary> check_policy(const rapidjson::Value& policy);

// {"Created":{"execution_id","public_state"}} or {"Duplicate":{"execution_id"}}
std::string encode_create_outcome(const create_execution_outcome& outcome);
// The same member ("Created":{..} or "Duplicate":{..}) inside an object
// being written.
void write_create_outcome_member(json_writer& w, const create_execution_outcome& outcome);

} // namespace ff
