#include "actors/node_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/partition_actor.hpp"

namespace ff {

namespace {

using node_ptr = caf::stateful_actor<node_state>*;

backend_actor spawn_backend(node_ptr self) {
  auto b = self->spawn<caf::detached + caf::monitored>(backend_actor_behavior,
                                                       self->state.factory, self->state.metrics);
  return b;
}

partition_actor spawn_partition(node_ptr self, std::uint16_t p) {
  auto& st = self->state;
  const auto& backend = st.current.backends[p % st.current.backends.size()];
  return self->spawn<caf::monitored>(partition_actor_behavior, p, backend,
                                     st.settings.partition_queue_bound, st.metrics);
}

void publish(node_ptr self) {
  self->state.table->publish(std::make_shared<const routes>(self->state.current));
}

// Replaces a dead child with a fresh one and republishes the table.
void respawn(node_ptr self, const caf::actor_addr& dead) {
  auto& cur = self->state.current;
  for (std::size_t i = 0; i < cur.backends.size(); ++i) {
    if (cur.backends[i].address() != dead) continue;
    spdlog::error("backend actor {} died; respawning", i);
    cur.backends[i] = spawn_backend(self);
    for (std::size_t p = i; p < cur.partitions.size(); p += cur.backends.size())
      self->send(cur.partitions[p], set_backend_atom::value, cur.backends[i]);
    publish(self);
    return;
  }
  for (std::size_t p = 0; p < cur.partitions.size(); ++p) {
    if (cur.partitions[p].address() != dead) continue;
    spdlog::error("partition actor {} died; respawning", p);
    cur.partitions[p] = spawn_partition(self, static_cast<std::uint16_t>(p));
    publish(self);
    return;
  }
}

} // namespace

caf::behavior node_actor_behavior(caf::stateful_actor<node_state>* self, node_settings settings,
                                  backend_factory factory, metrics_sink* metrics,
                                  std::shared_ptr<routing_table> table) {
  auto& st = self->state;
  st.settings = settings;
  st.factory = std::move(factory);
  st.metrics = metrics;
  st.table = std::move(table);
  for (std::uint32_t i = 0; i < std::max<std::uint32_t>(1, settings.backend_pool_size); ++i)
    st.current.backends.push_back(spawn_backend(self));
  for (std::uint32_t p = 0; p < settings.flow_partitions; ++p)
    st.current.partitions.push_back(spawn_partition(self, static_cast<std::uint16_t>(p)));
  publish(self);

  self->set_down_handler([self](caf::down_msg& msg) {
    respawn(self, msg.source);
  });
  // On shutdown, take the children down with the node.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& p : self->state.current.partitions) self->send_exit(p, msg.reason);
    for (auto& b : self->state.current.backends) self->send_exit(b, msg.reason);
    self->state.table->publish(nullptr);
    self->quit(msg.reason);
  });
  return {
    [](ping_atom) {},
  };
}

} // namespace ff
