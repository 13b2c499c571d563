#include "actors/partition_actor.hpp"

#include <set>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace ff {

namespace {

using self_ptr = partition_actor::stateful_pointer<partition_state>;

void tell_lane(self_ptr self, const std::string& lane) {
  if (auto actor = self->state.lanes->get(lane))
    self->send(actor, ready_atom::value, self->state.partition);
}

// For operations that may have made work eligible without telling us the
// lane (rare: replay, revoke, an immediate retry): every known lane checks.
void tell_all_lanes(self_ptr self) {
  for (auto& actor : self->state.lanes->all())
    self->send(actor, ready_atom::value, self->state.partition);
}

void tell_lanes_of(self_ptr self, const scan_outcome& out) {
  std::set<std::string> lanes;
  for (const auto& e : out.became_eligible) lanes.insert(e.lane_id);
  for (const auto& c : out.eligible_by_lane)
    if (c.count > 0) lanes.insert(c.lane_id);
  for (const auto& lane : lanes) tell_lane(self, lane);
}

struct no_hint {
  template <class T>
  void operator()(self_ptr, const T&) const {}
};

// Who asked: the front door's requests share the partition's bound; the
// scanners and the boot count have capacity of their own, so an overloaded
// front door never delays lease expiry, timeouts or promotions.
enum class admission { request, background };

// At most this many scanner batches queued per partition: one per scanner
// kind, with room for the boot count.
constexpr std::uint32_t background_bound = 16;

// Sends one operation to the partition's backend actor unless the
// partition already has its bound of operations queued; `on_success` sees
// the answer before the caller does (to send lane hints).
template <class T, class OnSuccess, class... Ts>
void forward_into(self_ptr self, caf::typed_response_promise<reply<T>> promise,
                  admission who, OnSuccess on_success, Ts&&... msg) {
  auto& st = self->state;
  auto& in_flight = who == admission::request ? st.in_flight : st.background_in_flight;
  const auto bound = who == admission::request ? st.bound : background_bound;
  if (in_flight >= bound) {
    const char* pool = who == admission::request ? "partition" : "partition_background";
    if (st.metrics) st.metrics->queue_rejected(pool);
    promise.deliver(reply<T>::failure(engine_error::resource_exhausted(pool, bound)));
    return;
  }
  ++in_flight;
  self->request(st.backend, caf::infinite, std::forward<Ts>(msg)...)
    .then(
      [self, promise, on_success, who](reply<T>& r) mutable {
        --(who == admission::request ? self->state.in_flight : self->state.background_in_flight);
        if (r.ok) on_success(self, r.value);
        // A lease-bound call that found its lease expired has just put the
        // execution back in its lane's queue (before the expiry scanner
        // could): the lane must hear of it, though the call failed.
        else if (r.error.code == "lease_expired") tell_all_lanes(self);
        promise.deliver(std::move(r));
      },
      [self, promise, who](caf::error& err) mutable {
        --(who == admission::request ? self->state.in_flight : self->state.background_in_flight);
        promise.deliver(reply<T>::failure(
          engine_error::unavailable("backend actor: " + self->system().render(err))));
      });
}

template <class T, class OnSuccess, class... Ts>
caf::typed_response_promise<reply<T>> forward(self_ptr self, OnSuccess on_success,
                                              Ts&&... msg) {
  auto promise = self->template make_response_promise<reply<T>>();
  forward_into<T>(self, promise, admission::request, on_success, std::forward<Ts>(msg)...);
  return promise;
}

template <class T, class OnSuccess, class... Ts>
caf::typed_response_promise<reply<T>> forward_background(self_ptr self, OnSuccess on_success,
                                                         Ts&&... msg) {
  auto promise = self->template make_response_promise<reply<T>>();
  forward_into<T>(self, promise, admission::background, on_success, std::forward<Ts>(msg)...);
  return promise;
}

// How stale the cached ring may get before use: another node may have
// rotated the secret.
constexpr std::int64_t ring_max_age_ms = 5000;

// Runs `then` with a fresh ring (loading it first when needed), or with the
// load error.
void with_ring(self_ptr self, bool force_reload, std::function<void(const engine_error*)> then) {
  auto& st = self->state;
  bool fresh = st.ring_loaded_at != 0 && now_ms() - st.ring_loaded_at < ring_max_age_ms;
  if (fresh && !force_reload) {
    then(nullptr);
    return;
  }
  st.waiting_for_ring.push_back(std::move(then));
  if (st.ring_loading) return;
  st.ring_loading = true;
  auto finish = [self](const engine_error* err) {
    auto waiting = std::move(self->state.waiting_for_ring);
    self->state.waiting_for_ring.clear();
    self->state.ring_loading = false;
    for (auto& f : waiting) f(err);
  };
  self->request(st.backend, std::chrono::seconds(30), ring_atom::value, st.partition)
    .then(
      [self, finish](reply<hmac_ring>& r) {
        if (!r.ok) return finish(&r.error);
        self->state.ring = std::move(r.value);
        self->state.ring_loaded_at = now_ms();
        finish(nullptr);
      },
      [self, finish](caf::error& err) {
        auto e = engine_error::unavailable("backend actor: " + self->system().render(err));
        finish(&e);
      });
}

// Verifies a signal's token before anything about the waitpoint is read. A
// kid this node has not seen may come from a rotation on another node, so
// the ring is reloaded once before the token is refused.
void verify_then(self_ptr self, std::string token, std::string eid, std::string wpid,
                 bool reloaded, std::function<void(const engine_error*)> then) {
  with_ring(self, reloaded, [=](const engine_error* err) {
    if (err) return then(err);
    auto ok = verify_waitpoint_token(self->state.ring, token, eid, wpid, now_ms());
    if (ok) return then(nullptr);
    if (!reloaded && ok.error().code == "invalid_token" &&
        !self->state.ring.kids.count(token_kid(token)))
      return verify_then(self, token, eid, wpid, true, then);
    then(&ok.error());
  });
}

// Fills the node-minted parts of a suspension: its id, and each fresh
// waitpoint's id and token.
expected<unit> mint_suspension(const hmac_ring& ring, suspend_args& args) {
  if (args.suspension_id.empty()) args.suspension_id = uuid::random_v4().str();
  for (auto& wp : args.waitpoints) {
    if (wp.activate_pending) continue;
    if (wp.waitpoint_id.empty()) wp.waitpoint_id = uuid::random_v4().str();
    auto token = mint_waitpoint_token(ring, args.execution_id, wp.waitpoint_id);
    if (!token) return std::move(token).error();
    wp.waitpoint_token = std::move(*token);
  }
  return unit{};
}

} // namespace

partition_actor::behavior_type partition_actor_behavior(
  self_ptr self, std::uint16_t partition, backend_actor backend, std::uint32_t bound,
  metrics_sink* metrics, std::shared_ptr<lane_directory> lanes) {
  auto& st = self->state;
  st.partition = partition;
  st.backend = std::move(backend);
  st.bound = bound;
  st.metrics = metrics;
  st.lanes = std::move(lanes);
  return {
    [self](create_atom a, create_execution_args& args) {
      auto lane = args.lane_id;
      return forward<create_execution_outcome>(
        self,
        [lane](self_ptr s, const create_execution_outcome& out) {
          if (out.created && out.public_state == "waiting") tell_lane(s, lane);
        },
        a, std::move(args));
    },
    [self](fetch_atom a, std::string& id) {
      return forward<execution_info>(self, no_hint{}, a, std::move(id));
    },
    [self](state_atom a, std::string& id) {
      return forward<std::string>(self, no_hint{}, a, std::move(id));
    },
    [self](result_atom a, std::string& id) {
      return forward<execution_result>(self, no_hint{}, a, std::move(id));
    },
    [self](list_atom a, list_executions_args& args) {
      return forward<execution_page>(self, no_hint{}, a, std::move(args));
    },
    [self](acquire_atom a, acquire_args& args) {
      return forward<acquire_outcome>(self, no_hint{}, a, std::move(args));
    },
    [self](grant_atom a, acquire_args& args) {
      return forward<grant_outcome>(self, no_hint{}, a, std::move(args));
    },
    [self](claim_atom a, claim_execution_args& args) {
      return forward<claimed_lease>(self, no_hint{}, a, std::move(args));
    },
    [self](renew_atom a, renew_lease_args& args) {
      return forward<renew_outcome>(self, no_hint{}, a, std::move(args));
    },
    [self](complete_atom a, complete_args& args) {
      return forward<complete_outcome>(self, no_hint{}, a, std::move(args));
    },
    [self](fail_atom a, fail_args& args) {
      return forward<fail_outcome>(
        self,
        [](self_ptr s, const fail_outcome& out) {
          // A zero backoff puts the execution straight back in its lane.
          if (out.outcome == "retry_scheduled" && out.retry_at <= now_ms()) tell_all_lanes(s);
        },
        a, std::move(args));
    },
    [self](progress_atom a, progress_args& args) {
      return forward<unit>(self, no_hint{}, a, std::move(args));
    },
    [self](append_atom a, append_frame_args& args) {
      return forward<append_frame_outcome>(self, no_hint{}, a, std::move(args));
    },
    [self](cancel_atom a, cancel_args& args) {
      return forward<cancel_outcome>(self, no_hint{}, a, std::move(args));
    },
    [self](replay_atom a, replay_args& args) {
      return forward<replay_outcome>(
        self, [](self_ptr s, const replay_outcome&) { tell_all_lanes(s); }, a, std::move(args));
    },
    [self](priority_atom a, change_priority_args& args) {
      return forward<std::int32_t>(self, no_hint{}, a, std::move(args));
    },
    [self](revoke_atom a, revoke_lease_args& args) {
      return forward<revoke_outcome>(
        self,
        [](self_ptr s, const revoke_outcome& out) {
          if (out.revoked) tell_all_lanes(s); // requeued for reclaim
        },
        a, std::move(args));
    },
    [self](reclaim_atom a, claim_grant_args& args) {
      return forward<reclaim_grant_outcome>(self, no_hint{}, a, std::move(args));
    },
    [self](read_stream_atom a, read_stream_args& args) {
      return forward<stream_frames>(self, no_hint{}, a, std::move(args));
    },
    [self](scan_atom a, scan_kind kind, scan_args& args) {
      return forward_background<scan_outcome>(
        self, [](self_ptr s, const scan_outcome& out) { tell_lanes_of(s, out); }, a, kind,
        std::move(args));
    },
    [self](count_atom a, std::uint16_t p, std::vector<std::string>& lanes) {
      return forward_background<std::vector<lane_count>>(
        self,
        [](self_ptr s, const std::vector<lane_count>& counts) {
          for (const auto& c : counts)
            if (c.count > 0) tell_lane(s, c.lane_id);
        },
        a, p, std::move(lanes));
    },
    [self](suspend_atom a, suspend_args& args) {
      auto promise = self->make_response_promise<reply<suspend_outcome>>();
      with_ring(self, false, [self, promise, a, args](const engine_error* err) mutable {
        auto minted = err ? expected<unit>(*err) : mint_suspension(self->state.ring, args);
        if (!minted) {
          promise.deliver(reply<suspend_outcome>::failure(minted.error()));
          return;
        }
        forward_into<suspend_outcome>(self, promise, admission::request, no_hint{}, a,
                                      std::move(args));
      });
      return promise;
    },
    [self](pending_wp_atom a, create_pending_waitpoint_args& args) {
      auto promise = self->make_response_promise<reply<waitpoint_binding>>();
      with_ring(self, false, [self, promise, a, args](const engine_error* err) mutable {
        if (args.waitpoint_id.empty()) args.waitpoint_id = uuid::random_v4().str();
        auto token = err ? expected<std::string>(*err)
                         : mint_waitpoint_token(self->state.ring, args.execution_id,
                                                args.waitpoint_id);
        if (!token) {
          promise.deliver(reply<waitpoint_binding>::failure(token.error()));
          return;
        }
        args.waitpoint_token = std::move(*token);
        forward_into<waitpoint_binding>(self, promise, admission::request, no_hint{}, a,
                                        std::move(args));
      });
      return promise;
    },
    [self](signal_atom a, deliver_signal_args& args, std::string& token) {
      auto promise = self->make_response_promise<reply<deliver_signal_outcome>>();
      auto eid = args.execution_id;
      auto wpid = args.waitpoint_id;
      verify_then(self, std::move(token), std::move(eid), std::move(wpid), false,
                  [self, promise, a, args](const engine_error* err) mutable {
                    if (err) {
                      promise.deliver(reply<deliver_signal_outcome>::failure(*err));
                      return;
                    }
                    forward_into<deliver_signal_outcome>(
                      self, promise, admission::request,
                      [](self_ptr s, const deliver_signal_outcome& out) {
                        if (out.became_eligible) tell_lane(s, out.lane_id);
                      },
                      a, std::move(args));
                  });
      return promise;
    },
    [self](list_wp_atom a, list_pending_waitpoints_args& args) {
      return forward<pending_waitpoint_page>(self, no_hint{}, a, std::move(args));
    },
    [self](token_atom a, std::string& eid, std::string& wpid) {
      return forward<std::string>(self, no_hint{}, a, std::move(eid), std::move(wpid));
    },
    [self](rotate_atom a, std::uint16_t p, std::string& kid, std::string& secret,
           std::uint64_t grace_ms) {
      return forward<rotate_secret_outcome>(
        self,
        // The next token minted or checked here must see the new kid.
        [](self_ptr s, const rotate_secret_outcome&) { s->state.ring_loaded_at = 0; }, a, p,
        std::move(kid), std::move(secret), grace_ms);
    },
    [self](set_backend_atom, backend_actor& backend) { self->state.backend = std::move(backend); },
  };
}

} // namespace ff
