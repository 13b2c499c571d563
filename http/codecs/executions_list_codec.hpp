#pragma once
// JSON ⇄ GET /v1/executions?partition=&cursor=&limit= (handlers/
// executions_list.cpp; rest-api.md §3.1): one page of execution ids in a
// partition.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/execution.hpp"
#include "http/request_decoding.hpp"

namespace ff {

constexpr std::uint64_t default_executions_page = 50;
constexpr std::uint64_t max_executions_page = 1000;

// The query: partition required (u16), limit capped at 1000 (0 asks for an
// empty page), cursor an execution id or empty. The first occurrence of a
// key wins.
decoded<list_executions_args> decode_list_executions(std::string_view query);

// {"executions":[..],"next_cursor":..|null}
std::string encode_execution_page(const execution_page& page);

} // namespace ff
