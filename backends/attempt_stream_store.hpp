#pragma once
// Attempt output streams (§8; valkey: valkey/valkey_stream.cpp). Part of
// engine_backend.

#include "core/expected.hpp"
#include "core/stream.hpp"

namespace ff {

class attempt_stream_store {
public:
  virtual ~attempt_stream_store() = default;

  virtual expected<append_frame_outcome> append_frame(const append_frame_args& args) = 0;
  virtual expected<stream_frames> read_attempt_stream(const read_stream_args& args) = 0;
  // Blocks up to block_ms on this backend's connection: use an instance
  // dedicated to tails.
  virtual expected<stream_frames> tail_attempt_stream(const tail_stream_args& args) = 0;
};

} // namespace ff
