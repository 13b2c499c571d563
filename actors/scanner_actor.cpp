#include "actors/scanner_actor.hpp"

#include <spdlog/spdlog.h>

#include "core/clock.hpp"

namespace ff {

namespace {

using self_ptr = caf::stateful_actor<scanner_state>*;

void launch_next(self_ptr self, const std::shared_ptr<const routes>& snap);

void finish_pass(self_ptr self) {
  auto& st = self->state;
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - st.started;
  if (st.metrics)
    st.metrics->scanner_cycle(to_string(st.settings.kind), took.count(), st.changed, st.errors);
  self->delayed_send(self, st.settings.interval, tick_atom::value);
}

void on_batch_done(self_ptr self) {
  auto& st = self->state;
  --st.outstanding;
  auto snap = st.table->snapshot();
  if (!snap) return; // shutting down
  launch_next(self, snap);
  if (st.outstanding == 0 && st.next_partition >= snap->partitions.size()) finish_pass(self);
}

void launch_next(self_ptr self, const std::shared_ptr<const routes>& snap) {
  auto& st = self->state;
  while (st.outstanding < st.settings.concurrency && st.next_partition < snap->partitions.size()) {
    auto p = st.next_partition++;
    scan_args args;
    args.partition = p;
    args.now_ms = now_ms();
    args.limit = st.settings.batch;
    args.lanes = st.lanes->names();
    if (scanner_of(st.settings.kind).carries_cursor) {
      if (st.cursors.size() < snap->partitions.size()) st.cursors.resize(snap->partitions.size());
      args.cursor = st.cursors[p];
    }
    ++st.outstanding;
    self->request(snap->partitions[p], std::chrono::seconds(30),
                  operation<ops::run_scanner>{scanner_batch{st.settings.kind, std::move(args)}})
      .then(
        [self, p](reply<scan_outcome>& r) {
          auto& st = self->state;
          if (r.ok) {
            st.changed += r.value.changed;
            if (scanner_of(st.settings.kind).carries_cursor) st.cursors[p] = r.value.next_cursor;
          } else {
            ++st.errors;
            spdlog::warn("scanner {}: partition {}: {}", to_string(st.settings.kind), p,
                         r.error.text());
          }
          on_batch_done(self);
        },
        [self, p](caf::error& err) {
          ++self->state.errors;
          spdlog::warn("scanner {}: partition {}: {}", to_string(self->state.settings.kind), p,
                       self->system().render(err));
          on_batch_done(self);
        });
  }
}

} // namespace

caf::behavior scanner_actor_behavior(self_ptr self, scanner_settings settings,
                                     std::shared_ptr<routing_table> table,
                                     std::shared_ptr<lane_directory> lanes, metrics_sink* metrics,
                                     std::shared_ptr<store_health> health) {
  auto& st = self->state;
  st.health = std::move(health);
  st.settings = std::move(settings);
  st.table = std::move(table);
  st.lanes = std::move(lanes);
  st.metrics = metrics;
  self->send(self, tick_atom::value);
  return {
    [self](tick_atom) {
      auto& st = self->state;
      auto snap = st.table->snapshot();
      if (!snap) return;
      // Every batch would fail and log: wait for the store instead.
      if (st.health && st.health->down()) {
        self->delayed_send(self, st.settings.interval, tick_atom::value);
        return;
      }
      st.next_partition = 0;
      st.changed = 0;
      st.errors = 0;
      st.started = std::chrono::steady_clock::now();
      launch_next(self, snap);
      if (st.outstanding == 0) finish_pass(self);
    },
  };
}

} // namespace ff
