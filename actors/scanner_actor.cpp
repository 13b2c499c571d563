#include "actors/scanner_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/bounded_fanout.hpp"
#include "core/clock.hpp"

namespace ff {

namespace {

using self_ptr = scanner_actor::stateful_pointer<scanner_state>;

// How long one partition's batch may take before the pass counts it failed.
constexpr std::chrono::seconds batch_timeout{30};

void finish_pass(self_ptr self, std::uint64_t changed, std::uint64_t errors) {
  auto& st = self->state;
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - st.started;
  if (st.metrics)
    st.metrics->scanner_cycle(to_string(st.settings.kind), took.count(), changed, errors);
  self->delayed_send(self, st.settings.interval, tick_atom::value);
}

// One batch per partition, `concurrency` partitions at a time.
void run_pass(self_ptr self, const routes& snap) {
  auto& st = self->state;
  const auto& spec = scanner_of(st.settings.kind);
  if (spec.carries_cursor && st.cursors.size() < snap.partitions.size())
    st.cursors.resize(snap.partitions.size());
  auto lanes = st.lanes->names();
  std::vector<fanout_job<ops::run_scanner>> jobs;
  jobs.reserve(snap.partitions.size());
  for (std::size_t p = 0; p < snap.partitions.size(); ++p) {
    scanner_batch batch;
    batch.kind = st.settings.kind;
    batch.args.partition = static_cast<std::uint16_t>(p);
    batch.args.now_ms = now_ms();
    batch.args.limit = st.settings.batch;
    batch.args.lanes = lanes;
    if (spec.carries_cursor) batch.args.cursor = st.cursors[p];
    jobs.push_back({snap.partitions[p], std::move(batch)});
  }
  st.started = std::chrono::steady_clock::now();
  auto fanout = self->spawn<caf::linked>(bounded_fanout<ops::run_scanner>, std::move(jobs),
                            st.settings.concurrency, std::chrono::milliseconds(batch_timeout));
  self->request(fanout, caf::infinite, run_atom::value)
    .then([self](fanout_results<ops::run_scanner>& results) {
      auto& st = self->state;
      const auto& spec = scanner_of(st.settings.kind);
      std::uint64_t changed = 0, errors = 0;
      for (std::size_t p = 0; p < results.size(); ++p) {
        auto& r = results[p];
        if (r.ok) {
          changed += r.value.changed;
          if (spec.carries_cursor && p < st.cursors.size()) st.cursors[p] = r.value.next_cursor;
        } else {
          ++errors;
          spdlog::warn("scanner {}: partition {}: {}", spec.name, p, r.error.text());
        }
      }
      finish_pass(self, changed, errors);
    },
    [self](caf::error& err) {
      spdlog::warn("scanner {}: pass failed: {}", to_string(self->state.settings.kind),
                   self->system().render(err));
      finish_pass(self, 0, 1);
    });
}

} // namespace

scanner_actor::behavior_type scanner_actor_behavior(self_ptr self, scanner_settings settings,
                                                    std::shared_ptr<routing_table> table,
                                                    std::shared_ptr<lane_directory> lanes,
                                                    metrics_sink* metrics,
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
      if (!snap) return; // shutting down
      // Every batch would fail and log: wait for the store instead.
      if (st.health && st.health->down()) {
        self->delayed_send(self, st.settings.interval, tick_atom::value);
        return;
      }
      run_pass(self, *snap);
    },
  };
}

} // namespace ff
