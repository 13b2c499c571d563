#pragma once
// One scanner actor per scanner of the catalogue (core/scanners.hpp). Every
// interval it makes one pass over the node's partitions, asking each
// partition actor for one bounded batch through a bounded fan-out (a few
// partitions at a time), so a pass never floods the backend. A
// failed batch is logged and counted; the next pass tries again. Scanners
// are the safety net behind push dispatch: timeouts, expiries, repairs.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/lane_directory.hpp"
#include "actors/messages.hpp"
#include "actors/routing_table.hpp"
#include "core/metrics_sink.hpp"
#include "core/store_health.hpp"

namespace ff {

struct scanner_settings {
  scan_kind kind = scan_kind::expire_leases;
  std::chrono::milliseconds interval{1000};
  std::uint32_t batch = 50;               // per partition per pass
  std::uint32_t concurrency = 4;          // partitions asked at once
};

struct scanner_state {
  scanner_settings settings;
  std::shared_ptr<routing_table> table;
  std::shared_ptr<lane_directory> lanes; // every lane known to the node
  metrics_sink* metrics = nullptr;
  std::shared_ptr<store_health> health;  // a pass is skipped while the store is down
  std::chrono::steady_clock::time_point started; // of the pass in progress
  std::vector<std::string> cursors;       // carries_cursor: per-partition position
  static inline const char* name = "ff.scanner";
};

scanner_actor::behavior_type scanner_actor_behavior(
  scanner_actor::stateful_pointer<scanner_state> self, scanner_settings settings,
  std::shared_ptr<routing_table> table, std::shared_ptr<lane_directory> lanes,
  metrics_sink* metrics, std::shared_ptr<store_health> health);

} // namespace ff
