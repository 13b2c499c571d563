#include "actors/node_actor.hpp"

#include <array>

#include <spdlog/spdlog.h>

#include "actors/partition_actor.hpp"
#include "actors/rotation_coordinator.hpp"

namespace ff {

namespace {

using node_ptr = node_actor::stateful_pointer<node_state>;

backend_actor spawn_backend(node_ptr self) {
  return self->spawn<caf::detached + caf::monitored>(backend_actor_behavior, self->state.factory,
                                                     self->state.metrics,
                                                     self->state.settings.health);
}

partition_actor spawn_partition(node_ptr self, std::uint16_t p) {
  // Partition p of any family uses backend p % pool size.
  auto& st = self->state;
  const auto& backend = st.current.backends[p % st.current.backends.size()];
  return self->spawn<caf::monitored>(partition_actor_behavior, p, backend,
                                     st.settings.partition_queue_bound, st.metrics, st.lanes);
}

scanner_actor spawn_scanner(node_ptr self, const scanner_settings& s) {
  auto& st = self->state;
  return self->spawn<caf::monitored>(scanner_actor_behavior, s, st.table, st.lanes, st.metrics,
                                     st.settings.health);
}

rotation_actor spawn_rotation(node_ptr self) {
  auto& st = self->state;
  return self->spawn<caf::monitored>(rotation_coordinator, st.table,
                                     st.settings.waitpoint_hmac_grace_ms, st.metrics);
}

std::array<std::vector<partition_actor>*, 3> partition_families(routes& r) {
  return {&r.partitions, &r.budget_partitions, &r.quota_partitions};
}

void spawn_partitions(node_ptr self, std::vector<partition_actor>& family, std::uint16_t count) {
  for (std::uint32_t p = 0; p < count; ++p)
    family.push_back(spawn_partition(self, static_cast<std::uint16_t>(p)));
}

void publish(node_ptr self) {
  self->state.table->publish(std::make_shared<const routes>(self->state.current));
}

// The lanes' ready sets live only in memory: rebuild them from the store.
// Each partition actor reports the non-empty lanes to their lane actors.
void rebuild_ready_sets(node_ptr self, const std::vector<std::string>& lanes) {
  for (std::size_t p = 0; p < self->state.current.partitions.size(); ++p)
    self->request(self->state.current.partitions[p], std::chrono::seconds(30),
                  operation<ops::count_eligible>{
                    count_eligible_args{static_cast<std::uint16_t>(p), lanes}})
      .then([p](reply<std::vector<lane_count>>& r) {
              if (!r.ok) spdlog::warn("eligible count of partition {}: {}", p, r.error.text());
            },
            [p](caf::error&) { spdlog::warn("eligible count of partition {} failed", p); });
}

// A lane actor that quit by itself retired (lane_actor.hpp); one that
// failed is replaced, and its ready sets rebuilt.
bool replace_lane(node_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto it = st.lanes_watched.find(msg.source);
  if (it == st.lanes_watched.end()) return false;
  auto lane = std::move(it->second);
  st.lanes_watched.erase(it);
  if (msg.reason == caf::exit_reason::normal || msg.reason == caf::exit_reason::user_shutdown)
    return true;
  if (st.lanes->replace(lane, msg.source)) {
    spdlog::error("lane actor {} died; respawning", lane);
    rebuild_ready_sets(self, {lane});
  }
  return true;
}

// Replaces a dead child with a fresh one and republishes the table.
void respawn(node_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto& cur = st.current;
  const auto& dead = msg.source;
  if (replace_lane(self, msg)) return;
  for (std::size_t i = 0; i < cur.backends.size(); ++i) {
    if (cur.backends[i].address() != dead) continue;
    spdlog::error("backend actor {} died; respawning", i);
    cur.backends[i] = spawn_backend(self);
    for (auto* family : partition_families(cur))
      for (std::size_t p = i; p < family->size(); p += cur.backends.size())
        self->send((*family)[p], set_backend_atom::value, cur.backends[i]);
    publish(self);
    return;
  }
  for (auto* family : partition_families(cur)) {
    for (std::size_t p = 0; p < family->size(); ++p) {
      if ((*family)[p].address() != dead) continue;
      spdlog::error("partition actor {} died; respawning", p);
      (*family)[p] = spawn_partition(self, static_cast<std::uint16_t>(p));
      publish(self);
      return;
    }
  }
  for (std::size_t i = 0; i < st.scanners.size(); ++i) {
    if (st.scanners[i].address() != dead) continue;
    spdlog::error("scanner {} died; respawning", to_string(st.settings.scanners[i].kind));
    st.scanners[i] = spawn_scanner(self, st.settings.scanners[i]);
    return;
  }
  if (cur.rotation.address() == dead) {
    spdlog::error("rotation coordinator died; respawning");
    cur.rotation = spawn_rotation(self);
    publish(self);
  }
}

} // namespace

node_actor::behavior_type node_actor_behavior(node_ptr self, node_settings settings,
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
  spawn_partitions(self, st.current.partitions, st.settings.flow_partitions);
  spawn_partitions(self, st.current.budget_partitions, st.settings.budget_partitions);
  spawn_partitions(self, st.current.quota_partitions, st.settings.quota_partitions);
  st.current.rotation = spawn_rotation(self);
  publish(self);
  st.lanes->supervise_with(caf::actor_cast<node_actor>(self));
  st.lanes->configure(st.settings.lanes);
  rebuild_ready_sets(self, st.settings.boot_lanes);
  for (const auto& s : st.settings.scanners) st.scanners.push_back(spawn_scanner(self, s));

  self->set_down_handler([self](caf::down_msg& msg) { respawn(self, msg); });
  // On shutdown, take the children down with the node.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    st.table->publish(nullptr);
    for (auto& s : st.scanners) self->send_exit(s, msg.reason);
    for (auto& l : st.lanes->clear()) self->send_exit(l, msg.reason);
    for (auto* family : partition_families(st.current))
      for (auto& p : *family) self->send_exit(p, msg.reason);
    for (auto& b : st.current.backends) self->send_exit(b, msg.reason);
    self->send_exit(st.current.rotation, msg.reason);
    self->quit(msg.reason);
  });
  return {
    [self](watch_atom, const std::string& lane, const lane_actor& actor) {
      self->monitor(actor);
      self->state.lanes_watched[actor.address()] = lane;
    },
    [self](children_atom) {
      auto& st = self->state;
      supervised_children out;
      out.backends = st.current.backends;
      out.partitions = st.current.partitions;
      out.budget_partitions = st.current.budget_partitions;
      out.quota_partitions = st.current.quota_partitions;
      out.scanners = st.scanners;
      out.lanes = st.lanes->all();
      out.rotation = st.current.rotation;
      return out;
    },
  };
}

} // namespace ff
