#include "actors/backend_actor.hpp"

#include <chrono>

namespace ff {

namespace {

// Runs one backend call, recording its latency under the operation name.
// While the store is known to be down the call is not tried: the queue
// behind a dead connection drains at once with 503.
template <class F>
auto timed(backend_state& st, const char* op, F&& call) {
  using value_type = std::decay_t<decltype(*call(*st.backend))>;
  if (st.health) {
    if (st.health->down())
      return reply<value_type>::failure(
        engine_error::store_unavailable(st.health->snapshot().reason));
    if (auto outages = st.health->outages(); outages != st.outages_seen) {
      st.backend->drop_connection();
      st.outages_seen = outages;
    }
  }
  auto start = std::chrono::steady_clock::now();
  auto result = call(*st.backend);
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  if (st.metrics) st.metrics->backend_call(op, elapsed.count(), result.has_value());
  // A call that waited out its timeout means the store stopped answering:
  // the calls queued behind it should not each wait as long.
  if (!result && result.error().kind == error_kind::timeout && st.health)
    st.health->mark_down(result.error().text());
  return reply<value_type>::from(std::move(result));
}

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The metric label of one call: its Lua function's name (ff_<operation>,
// or ff_<scanner> for a scanner batch).
template <class Op>
const char* label_of(op_tag<Op>, const typename Op::args&) {
  return metric_label<Op>().c_str();
}
const char* label_of(op_tag<ops::run_scanner>, const scanner_batch& batch) {
  static const auto labels = [] {
    std::vector<std::string> out;
    for (const auto& s : scanner_catalogue()) out.push_back(std::string("ff_") + s.name);
    return out;
  }();
  return labels[static_cast<std::size_t>(batch.kind)].c_str();
}

// Metrics some operations record beyond the call's latency.
template <class Op>
void observe(backend_state&, op_tag<Op>, const typename Op::args&,
             const reply<typename Op::result>&, std::chrono::steady_clock::time_point) {}

void observe(backend_state& st, op_tag<ops::acquire_next_in_lane>, const acquire_args& a,
             const reply<acquire_outcome>& r, std::chrono::steady_clock::time_point start) {
  if (r.ok && r.value.acquired && st.metrics) st.metrics->claim_from_grant(a.lane_id, since(start));
}

void observe(backend_state& st, op_tag<ops::claim_execution>, const claim_execution_args& a,
             const reply<claimed_lease>& r, std::chrono::steady_clock::time_point start) {
  if (r.ok && st.metrics) st.metrics->claim_from_grant(a.lane_id, since(start));
}

void observe(backend_state& st, op_tag<ops::renew_lease>, const renew_lease_args&,
             const reply<renew_outcome>& r, std::chrono::steady_clock::time_point) {
  if (!st.metrics) return;
  st.metrics->lease_renewal(!r.ok                      ? std::string_view(r.error.code)
                            : r.value.cancel_requested ? "cancel_requested"
                                                       : "ok");
}

template <class Op>
auto serve(backend_state& st) {
  return [&st](const operation<Op>& msg) {
    auto start = std::chrono::steady_clock::now();
    auto r = timed(st, label_of(op_tag<Op>{}, msg.args),
                   [&](engine_backend& b) { return Op::run(b, msg.args); });
    observe(st, op_tag<Op>{}, msg.args, r, start);
    return r;
  };
}

template <class... Ops>
backend_actor::behavior_type make_behavior(backend_state& st, operation_list<Ops...>) {
  return {serve<Ops>(st)...};
}

} // namespace

backend_actor::behavior_type backend_actor_behavior(
  backend_actor::stateful_pointer<backend_state> self, backend_factory factory,
  metrics_sink* metrics, std::shared_ptr<store_health> health) {
  self->state.backend = factory();
  self->state.metrics = metrics;
  self->state.health = std::move(health);
  return make_behavior(self->state, backend_operations{});
}

} // namespace ff
