#pragma once
// The node actor supervises this node's actors: the backend pool, one
// partition actor per flow partition it serves, the scanners, the
// coordinators (secret rotation) and, as the lane directory reports them,
// the lane actors. It owns the routing table, rebuilds the lanes' ready
// sets from the store at boot, and replaces a child that dies, so one crash
// never takes a partition, a lane or a scanner away.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/backend_actor.hpp"
#include "actors/lane_directory.hpp"
#include "actors/routing_table.hpp"
#include "actors/scanner_actor.hpp"

namespace ff {

struct node_settings {
  std::uint16_t flow_partitions = 256;
  std::uint16_t budget_partitions = 32;
  std::uint16_t quota_partitions = 32;
  std::uint32_t backend_pool_size = 4;
  std::uint32_t partition_queue_bound = 1024;
  std::vector<std::string> lanes{"default"};  // FF_LANES: never retire
  // Lanes whose ready sets are rebuilt at boot: FF_LANES and every lane
  // the store holds eligible work for.
  std::vector<std::string> boot_lanes{"default"};
  std::vector<scanner_settings> scanners;
  std::shared_ptr<store_health> health;
  std::uint64_t waitpoint_hmac_grace_ms = 0;
};

struct node_state {
  node_settings settings;
  backend_factory factory;
  metrics_sink* metrics = nullptr;
  std::shared_ptr<routing_table> table;
  std::shared_ptr<lane_directory> lanes;
  routes current;
  std::vector<scanner_actor> scanners;         // index = settings.scanners
  std::map<caf::actor_addr, std::string> lanes_watched; // lane actor -> lane
  static inline const char* name = "ff.node";
};

node_actor::behavior_type node_actor_behavior(node_actor::stateful_pointer<node_state> self,
                                              node_settings settings, backend_factory factory,
                                              metrics_sink* metrics,
                                              std::shared_ptr<routing_table> table,
                                              std::shared_ptr<lane_directory> lanes);

} // namespace ff
