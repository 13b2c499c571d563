#pragma once
// One partition actor per flow partition. Every execution operation on the
// partition passes through it: it bounds the partition's queued work
// (over the bound the caller gets resource_exhausted, i.e. HTTP 429), keeps
// the partition's operations in order on one backend actor, and tells the
// lane actors when one of their lanes gets eligible work here (push
// dispatch: parked claims are served without polling).

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "actors/lane_directory.hpp"
#include "actors/messages.hpp"
#include "core/metrics_sink.hpp"

namespace ff {

struct partition_state {
  std::uint16_t partition = 0;
  backend_actor backend;
  std::uint32_t bound = 0;     // most operations queued at once
  std::uint32_t in_flight = 0; // requests sent to the backend, not yet answered
  std::uint32_t background_in_flight = 0; // scanner batches and boot counts, bounded apart
  metrics_sink* metrics = nullptr;
  std::shared_ptr<lane_directory> lanes;
  // The partition's waitpoint secret ring, cached: tokens are minted and
  // verified here, before the store is asked anything.
  hmac_ring ring;
  std::int64_t ring_loaded_at = 0;    // 0 = never loaded
  bool ring_loading = false;
  std::vector<std::function<void(const engine_error*)>> waiting_for_ring;
  static inline const char* name = "ff.partition";
};

partition_actor::behavior_type partition_actor_behavior(
  partition_actor::stateful_pointer<partition_state> self, std::uint16_t partition,
  backend_actor backend, std::uint32_t bound, metrics_sink* metrics,
  std::shared_ptr<lane_directory> lanes);

} // namespace ff
