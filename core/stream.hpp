#pragma once
// Argument and result structs of attempt output streams (execution-model.md
// §8; wire shape rest-api.md §2.5). Each has an inspect overload so it can
// travel in actor messages.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/lease.hpp"

namespace ff {

constexpr std::uint32_t default_max_frame_payload_bytes = 65'536;

struct append_frame_args {
  ff::execution_id execution_id;
  lease_fence fence;              // fence.attempt_index names the attempt's stream
  std::string frame_type;         // free string, non-empty
  std::int64_t ts = 0;            // 0 = the store's clock
  std::string payload;
  std::string encoding = "utf8";
  std::string correlation_id;     // optional
  std::string source = "worker";
  std::string mode = "durable";   // "durable" or "best_effort"
  std::string summary_patch;      // JSON merge patch of the attempt summary; empty = none
  std::uint64_t retention_maxlen = 0; // 0 = policy stream_policy.retention_maxlen, else ~10000
  std::uint32_t max_payload_bytes = default_max_frame_payload_bytes;
  std::int64_t ttl_ms = 0;        // best_effort: how long frames are worth keeping
};

struct append_frame_outcome {
  std::string entry_id;           // "<ms>-<seq>"
  std::uint64_t frame_count = 0;  // lifetime count (not reduced by trimming)
  std::uint64_t summary_version = 0; // 0 = no summary patch in this frame
};

struct stream_frame {
  std::string id;
  std::map<std::string, std::string> fields; // sorted by field name
};

struct stream_frames {
  std::vector<stream_frame> frames;
  std::int64_t closed_at = 0;     // 0 = still open (or never written)
  std::string closed_reason;
};

struct read_stream_args {
  ff::execution_id execution_id;
  std::uint32_t attempt_index = 0;
  std::string from = "-";         // "-" or an entry id, inclusive
  std::string to = "+";           // "+" or an entry id, inclusive
  std::uint32_t count = 100;      // 1..10000
  bool exclude_best_effort = false;
};

// A blocking XREAD on the caller's connection: run it on a backend
// instance dedicated to tails, not on one that serves other operations.
struct tail_stream_args {
  ff::execution_id execution_id;
  std::uint32_t attempt_index = 0;
  std::string after_id = "0-0";   // exclusive, concrete entry id
  std::uint32_t block_ms = 0;     // 0 = do not wait; at most 30000
  std::uint32_t count = 50;       // 1..10000
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_frame_args& x) {
  return f(x.execution_id, x.fence, x.frame_type, x.ts, x.payload, x.encoding,
           x.correlation_id, x.source, x.mode, x.summary_patch, x.retention_maxlen,
           x.max_payload_bytes, x.ttl_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_frame_outcome& x) {
  return f(x.entry_id, x.frame_count, x.summary_version);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_frame& x) {
  return f(x.id, x.fields);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_frames& x) {
  return f(x.frames, x.closed_at, x.closed_reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_stream_args& x) {
  return f(x.execution_id, x.attempt_index, x.from, x.to, x.count, x.exclude_best_effort);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tail_stream_args& x) {
  return f(x.execution_id, x.attempt_index, x.after_id, x.block_ms, x.count);
}

} // namespace ff
