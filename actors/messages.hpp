#pragma once
// The typed messages between actors. Every payload is a plain struct with an
// inspect overload (core/*.hpp) and is registered with the actor system, so
// any of these messages can cross nodes through CAF remoting.

#include <caf/all.hpp>

#include "core/execution.hpp"
#include "core/expected.hpp"
#include "core/lease.hpp"
#include "core/stream.hpp"
#include "core/suspension.hpp"
#include "core/waitpoint_token.hpp"
#include "core/worker.hpp"
#include "actors/engine_gateway.hpp"
#include "backends/operations.hpp"

namespace ff {

// Control messages; every engine operation travels as operation<Op>.
using ping_atom = caf::atom_constant<caf::atom("ffping")>;
using ready_atom = caf::atom_constant<caf::atom("ffready")>;
using tick_atom = caf::atom_constant<caf::atom("fftick")>;
using expire_atom = caf::atom_constant<caf::atom("ffexpire")>;
using drain_atom = caf::atom_constant<caf::atom("ffdrain")>;
using set_backend_atom = caf::atom_constant<caf::atom("ffsetbknd")>;
using watch_atom = caf::atom_constant<caf::atom("ffwatch")>;
using children_atom = caf::atom_constant<caf::atom("ffkids")>;
using rotate_atom = caf::atom_constant<caf::atom("ffrotate")>;

// One engine operation (a descriptor of backends/operations.hpp) with its
// arguments; answered with reply<Op::result>.
template <class Op>
struct operation {
  typename Op::args args;
};

template <class Inspector, class Op>
typename Inspector::result_type inspect(Inspector& f, operation<Op>& x) {
  return f(x.args);
}

// A worker's request to a lane actor, which runs Op (acquire_next_in_lane
// or grant_next_in_lane) on the partitions with work for the lane.
template <class Op>
struct lane_dispatch {
  dispatch_request request;
};

template <class Inspector, class Op>
typename Inspector::result_type inspect(Inspector& f, lane_dispatch<Op>& x) {
  return f(x.request);
}

// An operation's answer: the value or the engine_error (never a caf::error
// for engine outcomes, so the taxonomy survives the hop intact).
template <class T>
struct reply {
  bool ok = false;
  T value{};
  engine_error error;

  static reply success(T v) {
    reply r;
    r.ok = true;
    r.value = std::move(v);
    return r;
  }
  static reply failure(engine_error e) {
    reply r;
    r.error = std::move(e);
    return r;
  }
  static reply from(expected<T> e) {
    return e ? success(std::move(*e)) : failure(std::move(e).error());
  }
  expected<T> to_expected() && {
    if (ok) return std::move(value);
    return std::move(error);
  }
};

template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, reply<T>& x) {
  return f(x.ok, x.value, x.error);
}

template <class Op>
using serves = typename caf::replies_to<operation<Op>>::template with<reply<typename Op::result>>;
template <class Op>
using dispatches = typename caf::replies_to<lane_dispatch<Op>>::template with<reply<typename Op::result>>;

// The typed actor interfaces that serve (or dispatch) every operation of a list.
template <class List>
struct serving;
template <class... Ops>
struct serving<operation_list<Ops...>> {
  using type = caf::typed_actor<serves<Ops>...>;
};
template <class List>
struct dispatching;
template <class... Ops>
struct dispatching<operation_list<Ops...>> {
  using type = caf::typed_actor<dispatches<Ops>...>;
};

using partition_operations_actor = serving<partition_operations>::type;

// One store connection: every backend operation, in mailbox order.
using backend_actor =
  partition_operations_actor::extend_with<serving<direct_backend_operations>::type>;

// The owner of one flow partition: the partition operations (a signal's
// token is verified here, before the store), and its backend when the node
// replaces a dead one.
using partition_actor =
  partition_operations_actor::extend<caf::reacts_to<set_backend_atom, backend_actor>>;

// One lane's dispatcher: parked claims and the partitions with work.
using lane_actor = dispatching<lane_operations>::type::extend<
  caf::reacts_to<ready_atom, std::uint16_t>, caf::reacts_to<expire_atom, std::uint64_t>,
  caf::reacts_to<drain_atom>, caf::reacts_to<tick_atom>>;

// One scanner of the catalogue: a pass over the partitions per tick.
using scanner_actor = caf::typed_actor<caf::reacts_to<tick_atom>>;

// Rotates the waitpoint secret on every flow partition (new kid, secret
// hex), one rotation at a time.
using rotation_actor = caf::typed_actor<
  caf::replies_to<rotate_atom, std::string, std::string>::with<reply<rotation_report>>>;

// What the node actor supervises now.
struct supervised_children {
  std::vector<backend_actor> backends;
  std::vector<partition_actor> partitions;        // flow partitions
  std::vector<partition_actor> budget_partitions;
  std::vector<partition_actor> quota_partitions;
  std::vector<scanner_actor> scanners;
  std::vector<lane_actor> lanes;
  rotation_actor rotation;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervised_children& x) {
  return f(x.backends, x.partitions, x.budget_partitions, x.quota_partitions, x.scanners,
           x.lanes, x.rotation);
}

// The node: owns and monitors every other actor of the node and replaces
// one that dies. A lane directory reports each lane actor it spawns.
using node_actor =
  caf::typed_actor<caf::reacts_to<watch_atom, std::string, lane_actor>,
                   caf::replies_to<children_atom>::with<supervised_children>>;

// Registers every message type above with the actor system.
void add_message_types(caf::actor_system_config& cfg);

} // namespace ff
