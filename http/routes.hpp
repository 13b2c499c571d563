#pragma once
// The one route table: every REST route with its body-size limit
// (rest-api.md §1.7) and its handler. A route without a handler yet answers
// 503 `backend op unavailable: <METHOD> <template>`.

#include <cstdint>
#include <vector>

#include "http/handler.hpp"

namespace ff {

constexpr std::uint64_t body_limit_large = 1'048'576;
constexpr std::uint64_t body_limit_medium = 262'144;
constexpr std::uint64_t body_limit_control = 65'536;
// POST /v1/executions/batch: 1000 creates with 4 KiB payloads written as
// byte arrays (about 15 MB).
constexpr std::uint64_t body_limit_batch = 16'777'216;
// Routes that declare no limit never read their body; the transport still
// caps what it will consume.
constexpr std::uint64_t body_limit_transport = 2'097'152;

struct route_def {
  const char* method;
  const char* path;
  std::uint64_t body_limit; // 0: none declared (transport cap applies)
  handler_fn handler;       // nullptr: not implemented yet
};

const std::vector<route_def>& route_table();

} // namespace ff
