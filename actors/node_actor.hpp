#pragma once
// The node actor supervises this node's actors: the backend pool and one
// partition actor per flow partition it serves. It owns the routing table
// and respawns a child that dies, so one crash never takes a partition away.

#include <cstdint>
#include <memory>

#include "actors/backend_actor.hpp"
#include "actors/routing_table.hpp"

namespace ff {

struct node_settings {
  std::uint16_t flow_partitions = 256;
  std::uint32_t backend_pool_size = 4;
  std::uint32_t partition_queue_bound = 1024;
};

struct node_state {
  node_settings settings;
  backend_factory factory;
  metrics_sink* metrics = nullptr;
  std::shared_ptr<routing_table> table;
  routes current;
  static inline const char* name = "ff.node";
};

caf::behavior node_actor_behavior(caf::stateful_actor<node_state>* self, node_settings settings,
                                  backend_factory factory, metrics_sink* metrics,
                                  std::shared_ptr<routing_table> table);

} // namespace ff
