#include "actors/partition_actor.hpp"

namespace ff {

namespace {

// Forwards one operation to the partition's backend actor unless the
// partition already has `bound` operations queued.
template <class T, class... Ts>
caf::typed_response_promise<reply<T>> forward(
  partition_actor::stateful_pointer<partition_state> self, Ts&&... msg) {
  auto promise = self->template make_response_promise<reply<T>>();
  auto& st = self->state;
  if (st.in_flight >= st.bound) {
    if (st.metrics) st.metrics->queue_rejected("partition");
    promise.deliver(reply<T>::failure(engine_error::resource_exhausted("partition", st.bound)));
    return promise;
  }
  ++st.in_flight;
  self->request(st.backend, caf::infinite, std::forward<Ts>(msg)...)
    .then(
      [self, promise](reply<T>& r) mutable {
        --self->state.in_flight;
        promise.deliver(std::move(r));
      },
      [self, promise](caf::error& err) mutable {
        --self->state.in_flight;
        promise.deliver(reply<T>::failure(
          engine_error::unavailable("backend actor: " + self->system().render(err))));
      });
  return promise;
}

} // namespace

partition_actor::behavior_type partition_actor_behavior(
  partition_actor::stateful_pointer<partition_state> self, std::uint16_t partition,
  backend_actor backend, std::uint32_t bound, metrics_sink* metrics) {
  self->state.partition = partition;
  self->state.backend = std::move(backend);
  self->state.bound = bound;
  self->state.metrics = metrics;
  return {
    [self](create_atom a, create_execution_args& args) {
      return forward<create_execution_outcome>(self, a, std::move(args));
    },
    [self](fetch_atom a, std::string& id) { return forward<execution_info>(self, a, std::move(id)); },
    [self](state_atom a, std::string& id) { return forward<std::string>(self, a, std::move(id)); },
    [self](result_atom a, std::string& id) {
      return forward<execution_result>(self, a, std::move(id));
    },
    [self](list_atom a, list_executions_args& args) {
      return forward<execution_page>(self, a, std::move(args));
    },
    [self](set_backend_atom, backend_actor& backend) { self->state.backend = std::move(backend); },
  };
}

} // namespace ff
