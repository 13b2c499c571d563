#pragma once
// JSON ⇄ POST /v1/executions/{id}/attempts/{idx}/stream (handlers/
// stream_append.cpp): a batch of frames appended under the fence.

#include <cstdint>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "core/stream.hpp"
#include "http/request_decoding.hpp"

namespace ff {

constexpr std::size_t max_frames_per_append = 64;

// `path_index` is the already-parsed `{idx}`. One append per frame, in order.
decoded<on_partition<std::vector<append_frame_args>>> decode_append_frames(
    const route_params& path, std::uint32_t path_index, const rapidjson::Value& body);

// {"appended":[{"id":..}],"frame_count":..,"summary_version":..}
std::string encode_appended_frames(const std::vector<append_frame_outcome>& appended);

} // namespace ff
