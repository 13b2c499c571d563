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

// Who asked: the front door's requests share the partition's bound; the
// scanners and the boot count have capacity of their own, so an overloaded
// front door never delays lease expiry, timeouts or promotions.
enum class admission { request, background };

// At most this many scanner batches queued per partition: one per scanner
// kind, with room for the boot count.
constexpr std::uint32_t background_bound = 16;

// --- per-operation hooks ------------------------------------------------------
// Every operation is forwarded alike; these overloads add the extra work a
// few need. The generic template is the default.

template <class Op>
constexpr admission admission_of(op_tag<Op>) {
  return admission::request;
}
constexpr admission admission_of(op_tag<ops::run_scanner>) { return admission::background; }
constexpr admission admission_of(op_tag<ops::count_eligible>) { return admission::background; }

// Before the store: `next(expected<args>)` runs the operation, at once or
// after an asynchronous step (the ring load that minting and checking
// tokens need).
template <class Op, class Next>
void prepare(self_ptr, op_tag<Op>, typename Op::args&& args, Next next) {
  next(std::move(args));
}

// What the success hook needs to know of the arguments, taken before they
// move into the message (so payloads are never copied for it).
struct no_note {};
template <class Op>
no_note note_of(op_tag<Op>, const typename Op::args&) {
  return {};
}
std::string note_of(op_tag<ops::create_execution>, const create_execution_args& args) {
  return args.lane_id;
}
std::vector<std::string> note_of(op_tag<ops::create_executions>, const create_batch_args& args) {
  std::vector<std::string> lanes;
  lanes.reserve(args.items.size());
  for (const auto& item : args.items) lanes.push_back(item.lane_id);
  return lanes;
}

// After the store answered with success: tell the lanes about work that
// became eligible.
template <class Op>
void on_success(self_ptr, op_tag<Op>, const no_note&, const typename Op::result&) {}

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
  self->request(st.backend, std::chrono::seconds(30),
                operation<ops::get_waitpoint_hmac_ring>{st.partition})
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
    auto token = mint_waitpoint_token(ring, args.execution_id.value, wp.waitpoint_id);
    if (!token) return std::move(token).error();
    wp.waitpoint_token = std::move(*token);
  }
  return unit{};
}

// Operations that need more than forwarding.

void on_success(self_ptr self, op_tag<ops::create_execution>, const std::string& lane,
                const create_execution_outcome& out) {
  if (out.created && out.public_state == public_state_kind::waiting) tell_lane(self, lane);
}

void on_success(self_ptr self, op_tag<ops::create_executions>,
                const std::vector<std::string>& lanes, const create_batch_outcome& out) {
  std::set<std::string_view> told;
  for (std::size_t i = 0; i < out.items.size() && i < lanes.size(); ++i) {
    const auto& item = out.items[i];
    if (item.ok && item.outcome.created && item.outcome.public_state == public_state_kind::waiting &&
        told.insert(lanes[i]).second)
      tell_lane(self, lanes[i]);
  }
}

void on_success(self_ptr self, op_tag<ops::fail_execution>, const no_note&,
                const fail_outcome& out) {
  // A zero backoff puts the execution straight back in its lane.
  if (out.outcome == fail_disposition::retry_scheduled && out.retry_at <= now_ms())
    tell_all_lanes(self);
}

void on_success(self_ptr self, op_tag<ops::replay_execution>, const no_note&,
                const replay_outcome&) {
  tell_all_lanes(self);
}

void on_success(self_ptr self, op_tag<ops::revoke_lease>, const no_note&,
                const revoke_outcome& out) {
  if (out.revoked) tell_all_lanes(self); // requeued for reclaim
}

void on_success(self_ptr self, op_tag<ops::run_scanner>, const no_note&,
                const scan_outcome& out) {
  tell_lanes_of(self, out);
}

void on_success(self_ptr self, op_tag<ops::count_eligible>, const no_note&,
                const std::vector<lane_count>& counts) {
  for (const auto& c : counts)
    if (c.count > 0) tell_lane(self, c.lane_id);
}

void on_success(self_ptr self, op_tag<ops::deliver_signal>, const no_note&,
                const deliver_signal_outcome& out) {
  if (out.became_eligible) tell_lane(self, out.lane_id);
}

void on_success(self_ptr self, op_tag<ops::rotate_waitpoint_hmac_secret>,
                const no_note&, const rotate_secret_outcome&) {
  // The next token minted or checked here must see the new kid.
  self->state.ring_loaded_at = 0;
}

template <class Next>
void prepare(self_ptr self, op_tag<ops::suspend_execution>, suspend_args&& args, Next next) {
  with_ring(self, false, [self, next, args = std::move(args)](const engine_error* err) mutable {
    if (err) return next(*err);
    auto minted = mint_suspension(self->state.ring, args);
    if (!minted) return next(std::move(minted).error());
    next(std::move(args));
  });
}

template <class Next>
void prepare(self_ptr self, op_tag<ops::create_pending_waitpoint>,
             create_pending_waitpoint_args&& args, Next next) {
  with_ring(self, false, [self, next, args = std::move(args)](const engine_error* err) mutable {
    if (err) return next(*err);
    if (args.waitpoint_id.empty()) args.waitpoint_id = uuid::random_v4().str();
    auto token = mint_waitpoint_token(self->state.ring, args.execution_id.value, args.waitpoint_id);
    if (!token) return next(std::move(token).error());
    args.waitpoint_token = std::move(*token);
    next(std::move(args));
  });
}

template <class Next>
void prepare(self_ptr self, op_tag<ops::deliver_signal>, signal_delivery&& args, Next next) {
  auto token = args.token;
  auto eid = args.signal.execution_id.value;
  auto wpid = args.signal.waitpoint_id;
  verify_then(self, std::move(token), std::move(eid), std::move(wpid), false,
              [next, args = std::move(args)](const engine_error* err) mutable {
                if (err) return next(*err);
                next(std::move(args));
              });
}

// --- forwarding ---------------------------------------------------------------

// Sends one operation to the partition's backend actor unless the
// partition already has its bound of operations queued.
template <class Op>
void forward_into(self_ptr self, caf::typed_response_promise<reply<op_result_t<Op>>> promise,
                  op_args_t<Op> args) {
  using result_type = op_result_t<Op>;
  auto& st = self->state;
  constexpr auto who = admission_of(op_tag<Op>{});
  auto& in_flight = who == admission::request ? st.in_flight : st.background_in_flight;
  const auto bound = who == admission::request ? st.bound : background_bound;
  if (in_flight >= bound) {
    const char* pool = who == admission::request ? "partition" : "partition_background";
    if (st.metrics) st.metrics->queue_rejected(pool);
    promise.deliver(reply<result_type>::failure(engine_error::resource_exhausted(pool, bound)));
    return;
  }
  ++in_flight;
  auto note = note_of(op_tag<Op>{}, args);
  self->request(st.backend, caf::infinite, operation<Op>{std::move(args)})
    .then(
      [self, promise, note = std::move(note)](reply<result_type>& r) mutable {
        --(who == admission::request ? self->state.in_flight : self->state.background_in_flight);
        if (r.ok) on_success(self, op_tag<Op>{}, note, r.value);
        // A lease-bound call that found its lease expired has just put the
        // execution back in its lane's queue (before the expiry scanner
        // could): the lane must hear of it, though the call failed.
        else if (r.error.code == "lease_expired") tell_all_lanes(self);
        promise.deliver(std::move(r));
      },
      [self, promise](caf::error& err) mutable {
        --(who == admission::request ? self->state.in_flight : self->state.background_in_flight);
        promise.deliver(reply<result_type>::failure(
          engine_error::unavailable("backend actor: " + self->system().render(err))));
      });
}

// The handler of one operation: prepare, then forward.
template <class Op>
auto serve(self_ptr self) {
  return [self](operation<Op>& msg) {
    auto promise = self->template make_response_promise<reply<op_result_t<Op>>>();
    prepare(self, op_tag<Op>{}, std::move(msg.args),
            [self, promise](expected<op_args_t<Op>> ready) mutable {
              if (ready) return forward_into<Op>(self, promise, std::move(*ready));
              promise.deliver(reply<op_result_t<Op>>::failure(std::move(ready).error()));
            });
    return promise;
  };
}

template <class... Ops>
partition_actor::behavior_type make_behavior(self_ptr self, operation_list<Ops...>) {
  return {
    serve<Ops>(self)...,
    [self](set_backend_atom, backend_actor& backend) { self->state.backend = std::move(backend); },
  };
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
  return make_behavior(self, partition_operations{});
}

} // namespace ff
