#pragma once
// One scanner actor per scanner kind. Every interval it makes one pass over
// the node's partitions, asking each partition actor for one bounded batch
// (a few partitions at a time), so a pass never floods the backend. A
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
  // The pass in progress.
  std::uint16_t next_partition = 0;
  std::uint32_t outstanding = 0;
  std::uint64_t changed = 0;
  std::uint64_t errors = 0;
  std::chrono::steady_clock::time_point started;
  std::vector<std::string> cursors;       // reconcile_indexes: per-partition position
  static inline const char* name = "ff.scanner";
};

caf::behavior scanner_actor_behavior(caf::stateful_actor<scanner_state>* self,
                                     scanner_settings settings,
                                     std::shared_ptr<routing_table> table,
                                     std::shared_ptr<lane_directory> lanes, metrics_sink* metrics,
                                     std::shared_ptr<store_health> health);

} // namespace ff
