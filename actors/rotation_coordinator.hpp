#pragma once
// Rotates the waitpoint secret on every flow partition, at most 16
// partitions at a time, keeping the old kid valid for the grace period.
// One rotation runs at a time: a second one is refused with
// resource_exhausted ("admin_rotate", 1). Each partition's rotation is
// idempotent on the same kid and secret, so an operator retries a partial
// failure by sending the same request again.

#include <cstdint>
#include <memory>

#include "actors/messages.hpp"
#include "actors/routing_table.hpp"
#include "core/metrics_sink.hpp"

namespace ff {

struct rotation_state {
  std::shared_ptr<routing_table> table;
  std::uint64_t grace_ms = 0;
  metrics_sink* metrics = nullptr;
  bool rotating = false;
  static inline const char* name = "ff.rotation";
};

rotation_actor::behavior_type rotation_coordinator(
  rotation_actor::stateful_pointer<rotation_state> self, std::shared_ptr<routing_table> table,
  std::uint64_t grace_ms, metrics_sink* metrics);

} // namespace ff
