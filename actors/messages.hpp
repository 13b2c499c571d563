#pragma once
// The typed messages between actors. Every payload is a plain struct with an
// inspect overload (core/execution.hpp) and is registered with the actor
// system, so any of these messages can cross nodes through CAF remoting.

#include <caf/all.hpp>

#include "core/execution.hpp"
#include "core/expected.hpp"

namespace ff {

using create_atom = caf::atom_constant<caf::atom("ffcreate")>;
using fetch_atom = caf::atom_constant<caf::atom("fffetch")>;
using state_atom = caf::atom_constant<caf::atom("ffstate")>;
using result_atom = caf::atom_constant<caf::atom("ffresult")>;
using list_atom = caf::atom_constant<caf::atom("fflist")>;
using ping_atom = caf::atom_constant<caf::atom("ffping")>;
using set_backend_atom = caf::atom_constant<caf::atom("ffsetbknd")>;

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

// The execution operations, as served by a backend actor (one store
// connection) and, with the same signatures, by a partition actor.
#define FF_EXECUTION_OPERATIONS                                                          \
  caf::replies_to<create_atom, create_execution_args>::with<reply<create_execution_outcome>>, \
    caf::replies_to<fetch_atom, std::string>::with<reply<execution_info>>,               \
    caf::replies_to<state_atom, std::string>::with<reply<std::string>>,                  \
    caf::replies_to<result_atom, std::string>::with<reply<execution_result>>,            \
    caf::replies_to<list_atom, list_executions_args>::with<reply<execution_page>>

using backend_actor =
  caf::typed_actor<FF_EXECUTION_OPERATIONS, caf::replies_to<ping_atom>::with<reply<unit>>>;

using partition_actor =
  caf::typed_actor<FF_EXECUTION_OPERATIONS, caf::reacts_to<set_backend_atom, backend_actor>>;

#undef FF_EXECUTION_OPERATIONS

// Registers every message type above with the actor system.
void add_message_types(caf::actor_system_config& cfg);

} // namespace ff
