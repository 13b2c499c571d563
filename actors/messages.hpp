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

namespace ff {

using create_atom = caf::atom_constant<caf::atom("ffcreate")>;
using fetch_atom = caf::atom_constant<caf::atom("fffetch")>;
using state_atom = caf::atom_constant<caf::atom("ffstate")>;
using result_atom = caf::atom_constant<caf::atom("ffresult")>;
using list_atom = caf::atom_constant<caf::atom("fflist")>;
using ping_atom = caf::atom_constant<caf::atom("ffping")>;
using acquire_atom = caf::atom_constant<caf::atom("ffacquire")>;
using grant_atom = caf::atom_constant<caf::atom("ffgrant")>;
using claim_atom = caf::atom_constant<caf::atom("ffclaim")>;
using renew_atom = caf::atom_constant<caf::atom("ffrenew")>;
using complete_atom = caf::atom_constant<caf::atom("ffcomplete")>;
using fail_atom = caf::atom_constant<caf::atom("fffail")>;
using progress_atom = caf::atom_constant<caf::atom("ffprogress")>;
using append_atom = caf::atom_constant<caf::atom("ffappend")>;
using cancel_atom = caf::atom_constant<caf::atom("ffcancel")>;
using replay_atom = caf::atom_constant<caf::atom("ffreplay")>;
using priority_atom = caf::atom_constant<caf::atom("ffprio")>;
using revoke_atom = caf::atom_constant<caf::atom("ffrevoke")>;
using reclaim_atom = caf::atom_constant<caf::atom("ffreclaim")>;
using read_stream_atom = caf::atom_constant<caf::atom("ffread")>;
using tail_atom = caf::atom_constant<caf::atom("fftail")>;
using scan_atom = caf::atom_constant<caf::atom("ffscan")>;
using count_atom = caf::atom_constant<caf::atom("ffcount")>;
using heartbeat_atom = caf::atom_constant<caf::atom("ffheart")>;
using ready_atom = caf::atom_constant<caf::atom("ffready")>;
using tick_atom = caf::atom_constant<caf::atom("fftick")>;
using expire_atom = caf::atom_constant<caf::atom("ffexpire")>;
using suspend_atom = caf::atom_constant<caf::atom("ffsuspend")>;
using pending_wp_atom = caf::atom_constant<caf::atom("ffpendwp")>;
using signal_atom = caf::atom_constant<caf::atom("ffsignal")>;
using list_wp_atom = caf::atom_constant<caf::atom("fflistwp")>;
using token_atom = caf::atom_constant<caf::atom("fftoken")>;
using rotate_atom = caf::atom_constant<caf::atom("ffrotate")>;
using ring_atom = caf::atom_constant<caf::atom("ffring")>;
using drain_atom = caf::atom_constant<caf::atom("ffdrain")>;
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

// The scanner batches a partition serves; the name is the backend method's.
enum class scan_kind : std::uint8_t {
  expire_leases,
  promote_delayed,
  expire_attempt_timeouts,
  expire_execution_deadlines,
  trim_retention,
  reconcile_indexes,
  expire_suspensions,
  expire_pending_waitpoints,
};
const char* to_string(scan_kind kind);

// The operations on one partition's executions, as served by a backend
// actor (one store connection) and, with the same signatures, by the
// partition actor that owns the partition.
#define FF_PARTITION_OPERATIONS                                                             \
  caf::replies_to<create_atom, create_execution_args>::with<reply<create_execution_outcome>>, \
    caf::replies_to<fetch_atom, std::string>::with<reply<execution_info>>,                  \
    caf::replies_to<state_atom, std::string>::with<reply<std::string>>,                     \
    caf::replies_to<result_atom, std::string>::with<reply<execution_result>>,               \
    caf::replies_to<list_atom, list_executions_args>::with<reply<execution_page>>,          \
    caf::replies_to<acquire_atom, acquire_args>::with<reply<acquire_outcome>>,              \
    caf::replies_to<grant_atom, acquire_args>::with<reply<grant_outcome>>,                  \
    caf::replies_to<claim_atom, claim_execution_args>::with<reply<claimed_lease>>,          \
    caf::replies_to<renew_atom, renew_lease_args>::with<reply<renew_outcome>>,              \
    caf::replies_to<complete_atom, complete_args>::with<reply<complete_outcome>>,           \
    caf::replies_to<fail_atom, fail_args>::with<reply<fail_outcome>>,                       \
    caf::replies_to<progress_atom, progress_args>::with<reply<unit>>,                       \
    caf::replies_to<append_atom, append_frame_args>::with<reply<append_frame_outcome>>,     \
    caf::replies_to<cancel_atom, cancel_args>::with<reply<cancel_outcome>>,                 \
    caf::replies_to<replay_atom, replay_args>::with<reply<replay_outcome>>,                 \
    caf::replies_to<priority_atom, change_priority_args>::with<reply<std::int32_t>>,        \
    caf::replies_to<revoke_atom, revoke_lease_args>::with<reply<revoke_outcome>>,           \
    caf::replies_to<reclaim_atom, claim_grant_args>::with<reply<reclaim_grant_outcome>>,    \
    caf::replies_to<read_stream_atom, read_stream_args>::with<reply<stream_frames>>,        \
    caf::replies_to<scan_atom, scan_kind, scan_args>::with<reply<scan_outcome>>,            \
    caf::replies_to<count_atom, std::uint16_t, std::vector<std::string>>::with<             \
      reply<std::vector<lane_count>>>,                                                       \
    caf::replies_to<suspend_atom, suspend_args>::with<reply<suspend_outcome>>,              \
    caf::replies_to<pending_wp_atom, create_pending_waitpoint_args>::with<                  \
      reply<waitpoint_binding>>,                                                            \
    caf::replies_to<list_wp_atom, list_pending_waitpoints_args>::with<                      \
      reply<pending_waitpoint_page>>,                                                       \
    caf::replies_to<token_atom, std::string, std::string>::with<reply<std::string>>,        \
    caf::replies_to<rotate_atom, std::uint16_t, std::string, std::string,                   \
                    std::uint64_t>::with<reply<rotate_secret_outcome>>

// The backend delivers a signal whose token the partition already checked.
using backend_actor = caf::typed_actor<
  FF_PARTITION_OPERATIONS, caf::replies_to<ping_atom>::with<reply<unit>>,
  caf::replies_to<signal_atom, deliver_signal_args>::with<reply<deliver_signal_outcome>>,
  caf::replies_to<ring_atom, std::uint16_t>::with<reply<hmac_ring>>,
  caf::replies_to<heartbeat_atom, register_worker_args>::with<reply<worker_liveness>>,
  caf::replies_to<tail_atom, tail_stream_args>::with<reply<stream_frames>>>;

// The partition verifies a signal's token (the string) before the store.
using partition_actor = caf::typed_actor<
  FF_PARTITION_OPERATIONS,
  caf::replies_to<signal_atom, deliver_signal_args, std::string>::with<
    reply<deliver_signal_outcome>>,
  caf::reacts_to<set_backend_atom, backend_actor>>;

#undef FF_PARTITION_OPERATIONS

// One lane's dispatcher: parked claims and the partitions with work.
using lane_actor = caf::typed_actor<
  caf::replies_to<acquire_atom, dispatch_request>::with<reply<acquire_outcome>>,
  caf::replies_to<grant_atom, dispatch_request>::with<reply<grant_outcome>>,
  caf::reacts_to<ready_atom, std::uint16_t>,
  caf::reacts_to<expire_atom, std::uint64_t>, caf::reacts_to<drain_atom>,
  caf::reacts_to<tick_atom>>;

// Registers every message type above with the actor system.
void add_message_types(caf::actor_system_config& cfg);

} // namespace ff
