#include "actors/rotation_coordinator.hpp"

#include <algorithm>

#include "actors/bounded_fanout.hpp"

namespace ff {

namespace {

constexpr std::uint32_t partitions_at_once = 16;
constexpr std::chrono::seconds partition_timeout{120};

} // namespace

rotation_actor::behavior_type rotation_coordinator(
  rotation_actor::stateful_pointer<rotation_state> self, std::shared_ptr<routing_table> table,
  std::uint64_t grace_ms, metrics_sink* metrics) {
  self->state.table = std::move(table);
  self->state.grace_ms = grace_ms;
  self->state.metrics = metrics;
  return {
    [self](rotate_atom, std::string& kid, std::string& secret) {
      auto promise = self->make_response_promise<reply<rotation_report>>();
      auto& st = self->state;
      auto snap = st.table->snapshot();
      if (!snap) {
        promise.deliver(reply<rotation_report>::failure(engine_error::unavailable("shutting down")));
        return promise;
      }
      if (st.rotating) {
        if (st.metrics) st.metrics->queue_rejected("admin_rotate");
        promise.deliver(
          reply<rotation_report>::failure(engine_error::resource_exhausted("admin_rotate", 1)));
        return promise;
      }
      st.rotating = true;
      std::vector<fanout_job<ops::rotate_waitpoint_hmac_secret>> jobs;
      for (std::size_t p = 0; p < snap->partitions.size(); ++p)
        jobs.push_back({snap->partitions[p],
                        rotate_secret_args{static_cast<std::uint16_t>(p), kid, secret,
                                           static_cast<std::int64_t>(st.grace_ms)}});
      auto fanout = self->spawn<caf::linked>(bounded_fanout<ops::rotate_waitpoint_hmac_secret>,
                                std::move(jobs), partitions_at_once,
                                std::chrono::milliseconds(partition_timeout));
      self->request(fanout, caf::infinite, run_atom::value)
        .then([self, promise, kid](fanout_results<ops::rotate_waitpoint_hmac_secret>& results) mutable {
          self->state.rotating = false;
          rotation_report report;
          report.new_kid = kid;
          for (std::size_t p = 0; p < results.size(); ++p) {
            if (results[p].ok) ++report.rotated;
            else report.failed.push_back(static_cast<std::uint16_t>(p));
          }
          promise.deliver(reply<rotation_report>::success(std::move(report)));
        },
        [self, promise](caf::error& err) mutable {
          self->state.rotating = false;
          promise.deliver(reply<rotation_report>::failure(
            engine_error::unavailable("rotation fan-out: " + self->system().render(err))));
        });
      return promise;
    },
  };
}

} // namespace ff
