#pragma once
// One lane actor per lane: the dispatcher of push-based claims. It keeps the
// set of partitions that have eligible work in its lane (told by the
// partition actors, rebuilt at boot, corrected by the index reconciler) and
// the claims waiting for work. A claim asks one ready partition at a time,
// round-robin across the lane so work is taken fairly from every partition;
// a claim that finds nothing parks until a partition reports new work or
// its wait ends. The backend is never polled partition by partition.
//
// A lane that is not configured retires after an idle period with no ready
// partition and no waiting claim: it leaves the lane directory, forwards
// whatever still reaches it to its successor for a short grace period, and
// stops. Work that arrives later spawns a fresh lane actor.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "actors/lane_directory.hpp"
#include "actors/messages.hpp"
#include "actors/routing_table.hpp"
#include "core/metrics_sink.hpp"

namespace ff {

struct pending_claim {
  bool grant_only = false;
  dispatch_request request;
  caf::typed_response_promise<reply<acquire_outcome>> acquire_promise;
  caf::typed_response_promise<reply<grant_outcome>> grant_promise;
  std::set<std::uint16_t> tried; // partitions that had nothing for it since they last reported
  bool in_flight = false;
  bool expired = false;
  bool parked = false; // counted in lane_state::parked
  // When the wait ends. The expiry timer is armed only once the claim
  // parks: most claims are served at once, and every timer is a message
  // through the clock thread.
  std::chrono::steady_clock::time_point deadline;
  bool timer_armed = false;
};

struct lane_state {
  std::string lane;
  std::shared_ptr<routing_table> table;
  std::uint32_t bound = 0;                  // most claims served or parked at once
  metrics_sink* metrics = nullptr;
  std::set<std::uint16_t> ready;            // partitions with eligible work
  std::map<std::uint16_t, std::uint64_t> generation; // bumps on every report
  std::uint16_t cursor = 0;                 // round-robin position
  std::map<std::uint64_t, pending_claim> pending;
  std::size_t parked = 0;                   // pending claims waiting for a report (a gauge)
  std::uint64_t next_id = 1;
  // Retirement (lanes outside FF_LANES only).
  bool configured = false;
  std::chrono::milliseconds idle_after{0};
  std::chrono::steady_clock::time_point last_active;
  bool retired = false;                     // left the directory; forwarding
  std::weak_ptr<lane_directory> directory;
  static inline const char* name = "ff.lane";
};

struct lane_settings {
  std::uint32_t bound = 0;                  // claims served or parked at once
  bool configured = false;                  // in FF_LANES: never retires
  std::chrono::milliseconds idle_after{300'000}; // FF_LANE_IDLE_TIMEOUT_MS
};

lane_actor::behavior_type lane_actor_behavior(lane_actor::stateful_pointer<lane_state> self,
                                              std::string lane,
                                              std::shared_ptr<routing_table> table,
                                              lane_settings settings, metrics_sink* metrics,
                                              std::weak_ptr<lane_directory> directory);

} // namespace ff
