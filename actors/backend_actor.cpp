#include "actors/backend_actor.hpp"

#include <chrono>

namespace ff {

namespace {

// Runs one backend call, recording its latency under the operation name.
template <class F>
auto timed(backend_state& st, const char* op, F&& call) {
  auto start = std::chrono::steady_clock::now();
  auto result = call(*st.backend);
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  if (st.metrics) st.metrics->backend_call(op, elapsed.count(), result.has_value());
  using value_type = std::decay_t<decltype(*result)>;
  return reply<value_type>::from(std::move(result));
}

} // namespace

backend_actor::behavior_type backend_actor_behavior(
  backend_actor::stateful_pointer<backend_state> self, backend_factory factory,
  metrics_sink* metrics) {
  self->state.backend = factory();
  self->state.metrics = metrics;
  return {
    [self](create_atom, const create_execution_args& args) {
      return timed(self->state, "ff_create_execution",
                   [&](engine_backend& b) { return b.create_execution(args); });
    },
    [self](fetch_atom, const std::string& id) {
      return timed(self->state, "ff_get_execution",
                   [&](engine_backend& b) { return b.get_execution(id); });
    },
    [self](state_atom, const std::string& id) {
      return timed(self->state, "ff_get_execution_state",
                   [&](engine_backend& b) { return b.get_execution_state(id); });
    },
    [self](result_atom, const std::string& id) {
      return timed(self->state, "ff_get_execution_result",
                   [&](engine_backend& b) { return b.get_execution_result(id); });
    },
    [self](list_atom, const list_executions_args& args) {
      return timed(self->state, "ff_list_executions",
                   [&](engine_backend& b) { return b.list_executions(args); });
    },
    [self](ping_atom) {
      return timed(self->state, "ping", [&](engine_backend& b) { return b.ping(); });
    },
  };
}

} // namespace ff
