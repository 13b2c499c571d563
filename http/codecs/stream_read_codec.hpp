#pragma once
// Attempt stream reads over REST (handlers/stream_read.cpp): the cursor
// grammar and query rules of rest-api.md §3.15 (range read) and §3.16
// (tail), and the StreamFrames answer of §2.5.

#include <optional>
#include <string>
#include <string_view>

#include "core/stream.hpp"
#include "http/request_decoding.hpp"

namespace ff {

constexpr std::uint32_t max_stream_rest_limit = 1000;
constexpr std::uint32_t max_tail_block_ms = 30'000;

enum class cursor_form { start, end, concrete };

struct stream_cursor {
  cursor_form form = cursor_form::concrete;
  std::string id; // concrete: "<ms>" or "<ms>-<seq>" as given
};

// `start`, `end`, `<ms>` or `<ms>-<seq>` (ASCII digits, each part a u64);
// nullopt for anything else (bare `-` / `+` included).
std::optional<stream_cursor> parse_stream_cursor(std::string_view text);

// GET .../attempts/{idx}/stream?from=&to=&limit= . Order: path idx, query
// decode, limit checks, execution id.
decoded<on_partition<read_stream_args>> decode_read_stream(const route_params& path,
                                                           std::string_view query);
// GET .../attempts/{idx}/stream/tail?after=&block_ms=&limit= . Order: path
// idx, query decode, block_ms, limit, after, execution id.
decoded<on_partition<tail_stream_args>> decode_tail_stream(const route_params& path,
                                                           std::string_view query);

std::string encode_stream_frames(const stream_frames& frames);

} // namespace ff
