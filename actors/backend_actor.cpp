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

expected<scan_outcome> run_scan(engine_backend& b, scan_kind kind, const scan_args& args) {
  switch (kind) {
    case scan_kind::expire_leases: return b.expire_leases(args);
    case scan_kind::promote_delayed: return b.promote_delayed(args);
    case scan_kind::expire_attempt_timeouts: return b.expire_attempt_timeouts(args);
    case scan_kind::expire_execution_deadlines: return b.expire_execution_deadlines(args);
    case scan_kind::trim_retention: return b.trim_retention(args);
    case scan_kind::reconcile_indexes: return b.reconcile_indexes(args);
    case scan_kind::expire_suspensions: return b.expire_suspensions(args);
    case scan_kind::expire_pending_waitpoints: return b.expire_pending_waitpoints(args);
  }
  return engine_error::internal("unknown scan kind");
}

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

backend_actor::behavior_type backend_actor_behavior(
  backend_actor::stateful_pointer<backend_state> self, backend_factory factory,
  metrics_sink* metrics, std::shared_ptr<store_health> health) {
  self->state.backend = factory();
  self->state.metrics = metrics;
  self->state.health = std::move(health);
  auto& st = self->state;
  return {
    [&st](create_atom, const create_execution_args& a) {
      return timed(st, "ff_create_execution", [&](engine_backend& b) { return b.create_execution(a); });
    },
    [&st](fetch_atom, const std::string& id) {
      return timed(st, "ff_get_execution", [&](engine_backend& b) { return b.get_execution(id); });
    },
    [&st](state_atom, const std::string& id) {
      return timed(st, "ff_get_execution_state",
                   [&](engine_backend& b) { return b.get_execution_state(id); });
    },
    [&st](result_atom, const std::string& id) {
      return timed(st, "ff_get_execution_result",
                   [&](engine_backend& b) { return b.get_execution_result(id); });
    },
    [&st](list_atom, const list_executions_args& a) {
      return timed(st, "ff_list_executions", [&](engine_backend& b) { return b.list_executions(a); });
    },
    [&st](acquire_atom, const acquire_args& a) {
      auto start = std::chrono::steady_clock::now();
      auto r = timed(st, "ff_acquire_next_in_lane",
                     [&](engine_backend& b) { return b.acquire_next_in_lane(a); });
      if (r.ok && r.value.acquired && st.metrics) st.metrics->claim_from_grant(a.lane_id, since(start));
      return r;
    },
    [&st](grant_atom, const acquire_args& a) {
      return timed(st, "ff_grant_next_in_lane",
                   [&](engine_backend& b) { return b.grant_next_in_lane(a); });
    },
    [&st](claim_atom, const claim_execution_args& a) {
      auto start = std::chrono::steady_clock::now();
      auto r = timed(st, "ff_claim_execution", [&](engine_backend& b) { return b.claim_execution(a); });
      if (r.ok && st.metrics) st.metrics->claim_from_grant(a.lane_id, since(start));
      return r;
    },
    [&st](renew_atom, const renew_lease_args& a) {
      auto r = timed(st, "ff_renew_lease", [&](engine_backend& b) { return b.renew_lease(a); });
      if (st.metrics)
        st.metrics->lease_renewal(!r.ok                    ? std::string_view(r.error.code)
                                  : r.value.cancel_requested ? "cancel_requested"
                                                             : "ok");
      return r;
    },
    [&st](complete_atom, const complete_args& a) {
      return timed(st, "ff_complete_execution",
                   [&](engine_backend& b) { return b.complete_execution(a); });
    },
    [&st](fail_atom, const fail_args& a) {
      return timed(st, "ff_fail_execution", [&](engine_backend& b) { return b.fail_execution(a); });
    },
    [&st](progress_atom, const progress_args& a) {
      return timed(st, "ff_update_progress", [&](engine_backend& b) { return b.update_progress(a); });
    },
    [&st](append_atom, const append_frame_args& a) {
      return timed(st, "ff_append_frame", [&](engine_backend& b) { return b.append_frame(a); });
    },
    [&st](cancel_atom, const cancel_args& a) {
      return timed(st, "ff_cancel_execution",
                   [&](engine_backend& b) { return b.cancel_execution(a); });
    },
    [&st](replay_atom, const replay_args& a) {
      return timed(st, "ff_replay_execution",
                   [&](engine_backend& b) { return b.replay_execution(a); });
    },
    [&st](priority_atom, const change_priority_args& a) {
      return timed(st, "ff_change_priority", [&](engine_backend& b) { return b.change_priority(a); });
    },
    [&st](revoke_atom, const revoke_lease_args& a) {
      return timed(st, "ff_revoke_lease", [&](engine_backend& b) { return b.revoke_lease(a); });
    },
    [&st](reclaim_atom, const claim_grant_args& a) {
      return timed(st, "ff_issue_reclaim_grant",
                   [&](engine_backend& b) { return b.issue_reclaim_grant(a); });
    },
    [&st](read_stream_atom, const read_stream_args& a) {
      return timed(st, "ff_read_attempt_stream",
                   [&](engine_backend& b) { return b.read_attempt_stream(a); });
    },
    [&st](scan_atom, scan_kind kind, const scan_args& a) {
      return timed(st, to_string(kind), [&](engine_backend& b) { return run_scan(b, kind, a); });
    },
    [&st](count_atom, std::uint16_t partition, const std::vector<std::string>& lanes) {
      return timed(st, "ff_count_eligible",
                   [&](engine_backend& b) { return b.count_eligible(partition, lanes); });
    },
    [&st](suspend_atom, const suspend_args& a) {
      return timed(st, "ff_suspend_execution",
                   [&](engine_backend& b) { return b.suspend_execution(a); });
    },
    [&st](pending_wp_atom, const create_pending_waitpoint_args& a) {
      return timed(st, "ff_create_pending_waitpoint",
                   [&](engine_backend& b) { return b.create_pending_waitpoint(a); });
    },
    [&st](signal_atom, const deliver_signal_args& a) {
      return timed(st, "ff_deliver_signal", [&](engine_backend& b) { return b.deliver_signal(a); });
    },
    [&st](list_wp_atom, const list_pending_waitpoints_args& a) {
      return timed(st, "ff_list_pending_waitpoints",
                   [&](engine_backend& b) { return b.list_pending_waitpoints(a); });
    },
    [&st](token_atom, const std::string& eid, const std::string& wpid) {
      return timed(st, "ff_get_waitpoint_token",
                   [&](engine_backend& b) { return b.get_waitpoint_token(eid, wpid); });
    },
    [&st](rotate_atom, std::uint16_t p, const std::string& kid, const std::string& secret,
          std::uint64_t grace_ms) {
      return timed(st, "ff_rotate_waitpoint_hmac_secret", [&](engine_backend& b) {
        return b.rotate_waitpoint_hmac_secret(p, kid, secret, grace_ms);
      });
    },
    [&st](ring_atom, std::uint16_t p) {
      return timed(st, "ff_get_waitpoint_hmac_ring",
                   [&](engine_backend& b) { return b.get_waitpoint_hmac_ring(p); });
    },
    [&st](ping_atom) { return timed(st, "ping", [&](engine_backend& b) { return b.ping(); }); },
    [&st](heartbeat_atom, const register_worker_args& a) {
      return timed(st, "ff_register_worker", [&](engine_backend& b) { return b.register_worker(a); });
    },
    [&st](tail_atom, const tail_stream_args& a) {
      return timed(st, "tail_attempt_stream",
                   [&](engine_backend& b) { return b.tail_attempt_stream(a); });
    },
  };
}

} // namespace ff
