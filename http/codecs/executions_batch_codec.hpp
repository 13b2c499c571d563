#pragma once
// JSON ⇄ POST /v1/executions/batch (handlers/executions_batch.cpp), our
// extension: {"executions":[<create body>, ...]}, 1..1000 items, each item
// exactly what POST /v1/executions takes. Items that leave the id to the
// server share one partition, so a batch reaches the store in few calls.

#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "core/engine_error.hpp"
#include "core/execution.hpp"
#include "core/expected.hpp"
#include "http/codecs/executions_create_codec.hpp"
#include "http/http_types.hpp"

namespace ff {

// Either every item decoded, or the response to send instead: the first
// bad item's status and error body, with its `index` added. Nothing is
// stored when one item is bad.
struct create_batch_decode_result {
  std::optional<std::vector<create_execution_args>> items;
  http_response error;
};

create_batch_decode_result decode_create_batch(const rapidjson::Value& body,
                                               const create_decode_options& options);

// {"results":[...]} in item order; each result is the body POST
// /v1/executions answers for that item, with its `status` added:
// {"status":201,"Created":{..}}, {"status":200,"Duplicate":{..}} or
// {"status":503,"error":..,"kind":..,"retryable":true}.
std::string encode_create_batch(const std::vector<expected<create_execution_outcome>>& results);

} // namespace ff
