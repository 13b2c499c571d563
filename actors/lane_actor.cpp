#include "actors/lane_actor.hpp"

#include <optional>

#include "core/ids.hpp"

namespace ff {

namespace {

using self_ptr = lane_actor::stateful_pointer<lane_state>;

// The next ready partition at or after the cursor that this claim has not
// tried yet; advances the cursor past it.
std::optional<std::uint16_t> pick_partition(lane_state& st, const pending_claim& c) {
  if (st.ready.empty()) return std::nullopt;
  auto start = st.ready.lower_bound(st.cursor);
  for (int pass = 0; pass < 2; ++pass) {
    auto it = pass == 0 ? start : st.ready.begin();
    auto end = pass == 0 ? st.ready.end() : start;
    for (; it != end; ++it) {
      if (c.tried.count(*it)) continue;
      st.cursor = static_cast<std::uint16_t>(*it + 1);
      return *it;
    }
  }
  return std::nullopt;
}

// Marks a claim parked or not, and publishes the lane's count when it
// changes (tests and operators watch it to know a claim is waiting).
void set_parked(lane_state& st, pending_claim& c, bool parked) {
  if (c.parked == parked) return;
  c.parked = parked;
  if (parked) ++st.parked;
  else --st.parked;
  if (st.metrics) st.metrics->lane_parked_claims(st.lane, st.parked);
}

void finish(self_ptr self, std::uint64_t id, engine_error* error) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end()) return;
  auto& c = it->second;
  set_parked(self->state, c, false);
  if (c.grant_only)
    c.grant_promise.deliver(error ? reply<grant_outcome>::failure(*error)
                                  : reply<grant_outcome>::success(grant_outcome{}));
  else
    c.acquire_promise.deliver(error ? reply<acquire_outcome>::failure(*error)
                                    : reply<acquire_outcome>::success(acquire_outcome{}));
  self->state.pending.erase(it);
}

void dispatch(self_ptr self, std::uint64_t id);

// What one partition answered for one claim.
void on_answer(self_ptr self, std::uint64_t id, std::uint16_t partition, std::uint64_t generation,
               bool served, std::uint64_t remaining) {
  auto& st = self->state;
  // Nothing left there, and no newer report raced with this answer.
  if (remaining == 0 && st.generation[partition] == generation) st.ready.erase(partition);
  auto it = st.pending.find(id);
  if (it == st.pending.end()) return;
  it->second.in_flight = false;
  if (served) return;
  it->second.tried.insert(partition);
  dispatch(self, id);
}

template <class T>
void deliver_served(self_ptr self, std::uint64_t id, T value) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end()) return;
  set_parked(self->state, it->second, false);
  if constexpr (std::is_same_v<T, grant_outcome>)
    it->second.grant_promise.deliver(reply<grant_outcome>::success(std::move(value)));
  else
    it->second.acquire_promise.deliver(reply<acquire_outcome>::success(std::move(value)));
  self->state.pending.erase(it);
}

void dispatch(self_ptr self, std::uint64_t id) {
  auto& st = self->state;
  auto it = st.pending.find(id);
  if (it == st.pending.end() || it->second.in_flight) return;
  auto& c = it->second;
  auto partition = c.expired ? std::nullopt : pick_partition(st, c);
  if (!partition) {
    // Parked until a partition reports work or the wait ends.
    auto now = std::chrono::steady_clock::now();
    if (c.expired || c.request.wait_ms == 0 || c.deadline <= now) {
      finish(self, id, nullptr);
      return;
    }
    set_parked(st, c, true);
    if (!c.timer_armed) {
      c.timer_armed = true;
      self->delayed_send(self, c.deadline - now, expire_atom::value, id);
    }
    return;
  }
  auto snap = st.table->snapshot();
  if (!snap || *partition >= snap->partitions.size()) {
    auto err = engine_error::unavailable("shutting down");
    finish(self, id, &err);
    return;
  }
  c.in_flight = true;
  set_parked(st, c, false);
  auto p = *partition;
  auto gen = st.generation[p];
  acquire_args args;
  args.partition = p;
  args.lane_id = st.lane;
  args.worker_id = c.request.worker_id;
  args.worker_instance_id = c.request.worker_instance_id;
  args.worker_capabilities = c.request.worker_capabilities;
  args.lease_ttl_ms = c.request.lease_ttl_ms;
  args.grant_ttl_ms = c.request.grant_ttl_ms;
  args.lease_id = uuid::random_v4().str();
  args.attempt_id = uuid::random_v4().str();

  auto on_error = [self, id, p](engine_error e) {
    auto it = self->state.pending.find(id);
    if (it == self->state.pending.end()) return;
    it->second.in_flight = false;
    if (e.kind == error_kind::resource_exhausted) {
      // That partition is saturated: try another one rather than failing.
      it->second.tried.insert(p);
      dispatch(self, id);
      return;
    }
    finish(self, id, &e);
  };
  auto on_caf_error = [on_error, self](caf::error& err) {
    on_error(engine_error::unavailable(self->system().render(err)));
  };
  if (c.grant_only) {
    self->request(snap->partitions[p], caf::infinite,
                  operation<ops::grant_next_in_lane>{std::move(args)})
      .then(
        [self, id, p, gen, on_error](reply<grant_outcome>& r) {
          if (!r.ok) return on_error(std::move(r.error));
          auto remaining = r.value.eligible_remaining;
          bool served = r.value.granted;
          if (served) deliver_served(self, id, std::move(r.value));
          on_answer(self, id, p, gen, served, remaining);
        },
        on_caf_error);
  } else {
    self->request(snap->partitions[p], caf::infinite,
                  operation<ops::acquire_next_in_lane>{std::move(args)})
      .then(
        [self, id, p, gen, on_error](reply<acquire_outcome>& r) {
          if (!r.ok) return on_error(std::move(r.error));
          auto remaining = r.value.eligible_remaining;
          bool served = r.value.acquired;
          if (served) deliver_served(self, id, std::move(r.value));
          on_answer(self, id, p, gen, served, remaining);
        },
        on_caf_error);
  }
}

// Admits a claim: bounded, then dispatched at once.
template <class Promise>
Promise admit(self_ptr self, dispatch_request req, bool grant_only, Promise promise) {
  auto& st = self->state;
  if (st.pending.size() >= st.bound) {
    if (st.metrics) {
      st.metrics->queue_rejected("lane");
      st.metrics->worker_at_capacity();
    }
    using reply_type = std::conditional_t<
      std::is_same_v<Promise, caf::typed_response_promise<reply<grant_outcome>>>,
      reply<grant_outcome>, reply<acquire_outcome>>;
    promise.deliver(reply_type::failure(engine_error::resource_exhausted("lane", st.bound)));
    return promise;
  }
  auto id = st.next_id++;
  auto& c = st.pending[id];
  c.grant_only = grant_only;
  c.request = std::move(req);
  if constexpr (std::is_same_v<Promise, caf::typed_response_promise<reply<grant_outcome>>>)
    c.grant_promise = promise;
  else
    c.acquire_promise = promise;
  c.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(c.request.wait_ms);
  dispatch(self, id);
  return promise;
}

// How long a retired lane actor keeps forwarding: long enough for a
// sender that looked it up just before it left the directory.
constexpr auto retire_grace = std::chrono::seconds(1);

// The lane actor now serving this lane (spawned if needed), or none.
lane_actor successor(self_ptr self, lane_directory::lookup* why) {
  auto dir = self->state.directory.lock();
  if (!dir) {
    *why = lane_directory::lookup::shutting_down;
    return {};
  }
  return dir->get(self->state.lane, why);
}

engine_error lookup_error(lane_directory::lookup why, self_ptr self) {
  if (why == lane_directory::lookup::too_many_lanes) {
    auto dir = self->state.directory.lock();
    return engine_error::resource_exhausted("lanes", dir ? dir->max_lanes() : 0);
  }
  return engine_error::unavailable("shutting down");
}

// A claim that reached a retired lane actor goes to its successor.
template <class Op, class T = op_result_t<Op>>
caf::typed_response_promise<reply<T>> forward_claim(self_ptr self, dispatch_request req) {
  auto promise = self->make_response_promise<reply<T>>();
  lane_directory::lookup why{};
  auto next = successor(self, &why);
  if (!next) {
    promise.deliver(reply<T>::failure(lookup_error(why, self)));
    return promise;
  }
  self->request(next, caf::infinite, lane_dispatch<Op>{std::move(req)})
    .then([promise](reply<T>& r) mutable { promise.deliver(std::move(r)); },
          [promise](caf::error&) mutable {
            promise.deliver(reply<T>::failure(engine_error::unavailable("lane actor stopped")));
          });
  return promise;
}

void arm_idle_check(self_ptr self) {
  auto& st = self->state;
  if (st.configured || st.idle_after.count() <= 0) return;
  self->delayed_send(self, st.idle_after, tick_atom::value);
}

void touch(self_ptr self) { self->state.last_active = std::chrono::steady_clock::now(); }

} // namespace

lane_actor::behavior_type lane_actor_behavior(self_ptr self, std::string lane,
                                              std::shared_ptr<routing_table> table,
                                              lane_settings settings, metrics_sink* metrics,
                                              std::weak_ptr<lane_directory> directory) {
  auto& st = self->state;
  st.lane = std::move(lane);
  st.table = std::move(table);
  st.bound = settings.bound;
  st.configured = settings.configured;
  st.idle_after = settings.idle_after;
  st.metrics = metrics;
  st.directory = std::move(directory);
  touch(self);
  arm_idle_check(self);
  return {
    [self](lane_dispatch<ops::acquire_next_in_lane>& d) {
      using op = ops::acquire_next_in_lane;
      if (self->state.retired) return forward_claim<op>(self, std::move(d.request));
      touch(self);
      return admit(self, std::move(d.request), false,
                   self->make_response_promise<reply<acquire_outcome>>());
    },
    [self](lane_dispatch<ops::grant_next_in_lane>& d) {
      using op = ops::grant_next_in_lane;
      if (self->state.retired) return forward_claim<op>(self, std::move(d.request));
      touch(self);
      return admit(self, std::move(d.request), true,
                   self->make_response_promise<reply<grant_outcome>>());
    },
    [self](ready_atom a, std::uint16_t partition) {
      auto& st = self->state;
      if (st.retired) {
        lane_directory::lookup why{};
        if (auto next = successor(self, &why)) self->send(next, a, partition);
        return;
      }
      touch(self);
      ++st.generation[partition];
      st.ready.insert(partition);
      std::vector<std::uint64_t> waiting;
      for (auto& [id, c] : st.pending) {
        c.tried.erase(partition);
        if (!c.in_flight) waiting.push_back(id);
      }
      for (auto id : waiting) dispatch(self, id);
    },
    [self](drain_atom) {
      // Shutting down: every waiting claim ends now ("no work"), so the
      // HTTP server's drain does not wait out long-polls.
      std::vector<std::uint64_t> ids;
      for (auto& [id, c] : self->state.pending) ids.push_back(id);
      for (auto id : ids) self->send(self, expire_atom::value, id);
    },
    [self](expire_atom, std::uint64_t id) {
      auto it = self->state.pending.find(id);
      if (it == self->state.pending.end()) return;
      it->second.expired = true;
      if (!it->second.in_flight) finish(self, id, nullptr);
    },
    [self](tick_atom) {
      auto& st = self->state;
      if (st.retired) {
        self->quit();
        return;
      }
      auto idle_for = std::chrono::steady_clock::now() - st.last_active;
      bool idle = st.pending.empty() && st.ready.empty() && idle_for >= st.idle_after;
      auto dir = st.directory.lock();
      if (idle && dir && dir->retire(st.lane, caf::actor_cast<lane_actor>(self))) {
        st.retired = true;
        if (st.metrics) st.metrics->lane_retired(st.lane);
        self->delayed_send(self, retire_grace, tick_atom::value);
        return;
      }
      arm_idle_check(self);
    },
  };
}

} // namespace ff
