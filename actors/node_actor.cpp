#include "actors/node_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/partition_actor.hpp"

namespace ff {

namespace {

using node_ptr = caf::stateful_actor<node_state>*;

backend_actor spawn_backend(node_ptr self) {
  return self->spawn<caf::detached + caf::monitored>(backend_actor_behavior, self->state.factory,
                                                     self->state.metrics,
                                                     self->state.settings.health);
}

partition_actor spawn_partition(node_ptr self, std::uint16_t p) {
  auto& st = self->state;
  const auto& backend = st.current.backends[p % st.current.backends.size()];
  return self->spawn<caf::monitored>(partition_actor_behavior, p, backend,
                                     st.settings.partition_queue_bound, st.metrics, st.lanes);
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

// The lanes' ready sets live only in memory: rebuild them from the store.
// Each partition actor reports its non-empty lanes to the lane actors.
void rebuild_ready_sets(node_ptr self) {
  for (std::size_t p = 0; p < self->state.current.partitions.size(); ++p)
    self->request(self->state.current.partitions[p], std::chrono::seconds(30),
                  operation<ops::count_eligible>{
                    count_eligible_args{static_cast<std::uint16_t>(p), self->state.settings.boot_lanes}})
      .then([p](reply<std::vector<lane_count>>& r) {
              if (!r.ok) spdlog::warn("boot: eligible count of partition {}: {}", p, r.error.text());
            },
            [p](caf::error&) { spdlog::warn("boot: eligible count of partition {} failed", p); });
}

} // namespace

caf::behavior node_actor_behavior(caf::stateful_actor<node_state>* self, node_settings settings,
                                  backend_factory factory, metrics_sink* metrics,
                                  std::shared_ptr<routing_table> table,
                                  std::shared_ptr<lane_directory> lanes) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.factory = std::move(factory);
  st.metrics = metrics;
  st.table = std::move(table);
  st.lanes = std::move(lanes);
  for (std::uint32_t i = 0; i < std::max<std::uint32_t>(1, st.settings.backend_pool_size); ++i)
    st.current.backends.push_back(spawn_backend(self));
  for (std::uint32_t p = 0; p < st.settings.flow_partitions; ++p)
    st.current.partitions.push_back(spawn_partition(self, static_cast<std::uint16_t>(p)));
  publish(self);
  st.lanes->configure(st.settings.lanes);
  rebuild_ready_sets(self);
  for (const auto& s : st.settings.scanners)
    st.scanners.push_back(
      self->spawn(scanner_actor_behavior, s, st.table, st.lanes, st.metrics, st.settings.health));

  self->set_down_handler([self](caf::down_msg& msg) { respawn(self, msg.source); });
  // On shutdown, take the children down with the node.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    st.table->publish(nullptr);
    for (auto& s : st.scanners) self->send_exit(s, msg.reason);
    for (auto& l : st.lanes->clear()) self->send_exit(l, msg.reason);
    for (auto& p : st.current.partitions) self->send_exit(p, msg.reason);
    for (auto& b : st.current.backends) self->send_exit(b, msg.reason);
    self->quit(msg.reason);
  });
  return {
    [](ping_atom) {},
  };
}

} // namespace ff
