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

#include "core/execution.hpp"
#include "core/lease.hpp"
#include "core/stream.hpp"
#include "core/worker.hpp"
#include "core/expected.hpp"

namespace ff {

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
};

} // namespace ff
