#pragma once
// The HTTP layer's only view of the actor system: asynchronous operations
// that complete through a callback. No CAF header is included here, so the
// Beast translation units stay free of CAF and the other way round.
//
// Callbacks run on an actor thread; the caller must hop back to its own
// executor (the HTTP session posts to its strand) and must not block.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/execution.hpp"
#include "core/lease.hpp"
#include "core/stream.hpp"
#include "core/suspension.hpp"
#include "core/worker.hpp"
#include "core/expected.hpp"

namespace ff {

// The answer of a secret rotation over every flow partition.
struct rotation_report {
  std::uint32_t rotated = 0;          // partitions rotated or already on the new kid
  std::vector<std::uint16_t> failed;  // partitions that refused or did not answer
  std::string new_kid;
};

class engine_gateway {
public:
  template <class T>
  using callback = std::function<void(expected<T>)>;

  virtual ~engine_gateway() = default;

  virtual std::uint16_t flow_partitions() const = 0;

  virtual void create_execution(create_execution_args args,
                                callback<create_execution_outcome> done) = 0;
  virtual void get_execution(std::string execution_id, std::uint16_t partition,
                             callback<execution_info> done) = 0;
  virtual void get_execution_state(std::string execution_id, std::uint16_t partition,
                                   callback<std::string> done) = 0;
  virtual void get_execution_result(std::string execution_id, std::uint16_t partition,
                                    callback<execution_result> done) = 0;
  virtual void list_executions(list_executions_args args, callback<execution_page> done) = 0;
  // Store liveness for /healthz.
  virtual void ping(callback<unit> done) = 0;

  // --- worker protocol (decisions.md §5) ---------------------------------
  // Grant + claim of the next execution of the lane on any partition. With
  // wait_ms > 0 the request parks in the lane until work arrives or the wait
  // ends; acquired=false then means "no work" (HTTP 204).
  virtual void acquire(dispatch_request req, callback<acquire_outcome> done) = 0;
  // The reference claim route: only a grant (granted=false -> 204).
  virtual void claim_grant(dispatch_request req, callback<grant_outcome> done) = 0;
  // Consumes a grant into a lease: a fresh attempt, or the interrupted one
  // resumed, whichever the execution's attempt state calls for.
  virtual void claim_execution(std::uint16_t partition, claim_execution_args args,
                               callback<claimed_lease> done) = 0;
  virtual void renew_lease(std::uint16_t partition, renew_lease_args args,
                           callback<renew_outcome> done) = 0;
  virtual void complete_execution(std::uint16_t partition, complete_args args,
                                  callback<complete_outcome> done) = 0;
  virtual void fail_execution(std::uint16_t partition, fail_args args,
                              callback<fail_outcome> done) = 0;
  virtual void update_progress(std::uint16_t partition, progress_args args,
                               callback<unit> done) = 0;
  virtual void append_frame(std::uint16_t partition, append_frame_args args,
                            callback<append_frame_outcome> done) = 0;
  // Registers the instance, or refreshes its liveness.
  virtual void heartbeat_worker(register_worker_args args, callback<worker_liveness> done) = 0;

  // --- operator routes ------------------------------------------------------
  virtual void cancel_execution(std::uint16_t partition, cancel_args args,
                                callback<cancel_outcome> done) = 0;
  virtual void replay_execution(std::uint16_t partition, replay_args args,
                                callback<replay_outcome> done) = 0;
  // Answers the clamped priority now in effect.
  virtual void change_priority(std::uint16_t partition, change_priority_args args,
                               callback<std::int32_t> done) = 0;
  virtual void revoke_lease(std::uint16_t partition, revoke_lease_args args,
                            callback<revoke_outcome> done) = 0;
  virtual void issue_reclaim_grant(std::uint16_t partition, claim_grant_args args,
                                   callback<reclaim_grant_outcome> done) = 0;

  // --- attempt streams ---------------------------------------------------------
  // Both take a permit of the FF_MAX_CONCURRENT_STREAM_OPS pool without
  // waiting (resource_exhausted "stream_ops" when none is free); a tail
  // blocks on a connection of its own, never on the shared backend pool.
  virtual void read_attempt_stream(std::uint16_t partition, read_stream_args args,
                                   callback<stream_frames> done) = 0;
  virtual void tail_attempt_stream(std::uint16_t partition, tail_stream_args args,
                                   callback<stream_frames> done) = 0;

  // --- suspension and signals (execution-model.md §7) ----------------------
  // The node mints the suspension id, the ids of fresh waitpoints and every
  // fresh waitpoint's token (left empty by the caller).
  virtual void suspend_execution(std::uint16_t partition, suspend_args args,
                                 callback<suspend_outcome> done) = 0;
  virtual void create_pending_waitpoint(std::uint16_t partition,
                                        create_pending_waitpoint_args args,
                                        callback<waitpoint_binding> done) = 0;
  // Verifies `token` for (execution, waitpoint) before any store read: a
  // bad token and a waitpoint that never existed answer alike
  // (validation `invalid_token`, or `missing_token` when empty).
  virtual void deliver_signal(std::uint16_t partition, deliver_signal_args args, std::string token,
                              callback<deliver_signal_outcome> done) = 0;
  virtual void list_pending_waitpoints(std::uint16_t partition, list_pending_waitpoints_args args,
                                       callback<pending_waitpoint_page> done) = 0;
  // The stored token; not_found when the waitpoint is unknown or closed.
  virtual void get_waitpoint_token(std::uint16_t partition, std::string execution_id,
                                   std::string waitpoint_id, callback<std::string> done) = 0;
  // Rotates the waitpoint secret on every flow partition, keeping the old
  // kid valid for FF_WAITPOINT_HMAC_GRACE_MS. One rotation at a time:
  // resource_exhausted ("admin_rotate", 1) while another runs.
  virtual void rotate_waitpoint_secret(std::string new_kid, std::string secret_hex,
                                       callback<rotation_report> done) = 0;
};

} // namespace ff
