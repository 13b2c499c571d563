#pragma once
// Runs one operation on many partitions with at most `concurrency` requests
// in flight, then answers every reply in job order. The scanners' passes,
// the secret rotation and (next) the flow-cancel dispatcher and the
// reconcilers fan out through it, so none floods the partitions or the
// store. One actor per fan-out: spawn it linked to its owner (so it ends
// with the owner at shutdown), ask it `run_atom`, and it quits once it has
// answered.

#include <chrono>
#include <cstdint>
#include <vector>

#include "actors/messages.hpp"

namespace ff {

using run_atom = caf::atom_constant<caf::atom("ffrun")>;

template <class Op>
struct fanout_job {
  partition_actor target;
  op_args_t<Op> args;
};

template <class Op>
using fanout_results = std::vector<reply<op_result_t<Op>>>;

template <class Op>
using fanout_actor = caf::typed_actor<caf::replies_to<run_atom>::with<fanout_results<Op>>>;

template <class Op>
struct fanout_state {
  std::vector<fanout_job<Op>> jobs;
  fanout_results<Op> results;
  std::uint32_t concurrency = 1;
  std::chrono::milliseconds timeout{30'000};
  std::size_t next = 0;
  std::size_t answered = 0;
  caf::typed_response_promise<fanout_results<Op>> promise;
  static inline const char* name = "ff.fanout";
};

template <class Op>
using fanout_pointer = typename fanout_actor<Op>::template stateful_pointer<fanout_state<Op>>;

namespace detail {

template <class Op>
void fanout_launch(fanout_pointer<Op> self);

template <class Op>
void fanout_answered(fanout_pointer<Op> self, std::size_t i, reply<op_result_t<Op>> r) {
  auto& st = self->state;
  st.results[i] = std::move(r);
  if (++st.answered == st.jobs.size()) {
    st.promise.deliver(std::move(st.results));
    self->quit();
    return;
  }
  fanout_launch<Op>(self);
}

template <class Op>
void fanout_launch(fanout_pointer<Op> self) {
  auto& st = self->state;
  while (st.next < st.jobs.size() && st.next - st.answered < st.concurrency) {
    auto i = st.next++;
    auto& job = st.jobs[i];
    self->request(job.target, st.timeout, operation<Op>{std::move(job.args)})
      .then([self, i](reply<op_result_t<Op>>& r) { fanout_answered<Op>(self, i, std::move(r)); },
            [self, i](caf::error& err) {
              fanout_answered<Op>(self, i,
                              reply<op_result_t<Op>>::failure(engine_error::unavailable(
                                "partition actor: " + self->system().render(err))));
            });
  }
}

} // namespace detail

// Spawn with `spawn<caf::linked>(bounded_fanout<Op>, jobs, concurrency, timeout)`.
template <class Op>
typename fanout_actor<Op>::behavior_type bounded_fanout(fanout_pointer<Op> self,
                                                        std::vector<fanout_job<Op>> jobs,
                                                        std::uint32_t concurrency,
                                                        std::chrono::milliseconds timeout) {
  auto& st = self->state;
  st.jobs = std::move(jobs);
  st.results.resize(st.jobs.size());
  st.concurrency = concurrency == 0 ? 1 : concurrency;
  st.timeout = timeout;
  return {
    [self](run_atom) {
      auto& st = self->state;
      st.promise = self->template make_response_promise<fanout_results<Op>>();
      if (st.jobs.empty()) {
        st.promise.deliver(fanout_results<Op>{});
        self->quit();
      } else {
        detail::fanout_launch<Op>(self);
      }
      return st.promise;
    },
  };
}

} // namespace ff
