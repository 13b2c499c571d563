#pragma once
// engine_backend on one Valkey / Redis connection. Each public operation is
// one FCALL of the Lua function with the operation's name
// (create_execution -> ff_create_execution), built with call_function().
// Private to backends/ and tests/valkey (store-layout tests); the rest of
// the code uses make_valkey_backend().

#include <string>
#include <vector>

#include "backends/engine_backend.hpp"
#include "backends/valkey/redis_connection.hpp"
#include "backends/valkey/server_info.hpp"
#include "backends/valkey/valkey_backend.hpp"

namespace ff {

class valkey_backend final : public engine_backend {
public:
  explicit valkey_backend(valkey_options opts);

  const char* name() const override { return "valkey"; }
  expected<backend_boot_report> prepare(const backend_boot_options& opts) override;
  expected<unit> ping() override;
  void drop_connection() override { conn_.disconnect(); }

  expected<create_execution_outcome> create_execution(const create_execution_args& args) override;
  expected<create_batch_outcome> create_executions(const create_batch_args& args) override;
  expected<execution_info> get_execution(const execution_id& id) override;
  expected<std::string> get_execution_state(const execution_id& id) override;
  expected<execution_result> get_execution_result(const execution_id& id) override;
  expected<execution_page> list_executions(const list_executions_args& args) override;

  // valkey_lifecycle.cpp
  // ff_claim_execution; an interrupted attempt (the Lua answer
  // use_claim_resumed_execution) goes on through ff_claim_resumed_execution.
  expected<claimed_lease> claim_execution(const claim_execution_args& args) override;
  expected<acquire_outcome> acquire_next_in_lane(const acquire_args& args) override;
  expected<grant_outcome> grant_next_in_lane(const acquire_args& args) override;
  expected<renew_outcome> renew_lease(const renew_lease_args& args) override;
  expected<complete_outcome> complete_execution(const complete_args& args) override;
  expected<fail_outcome> fail_execution(const fail_args& args) override;
  expected<cancel_outcome> cancel_execution(const cancel_args& args) override;
  expected<replay_outcome> replay_execution(const replay_args& args) override;
  expected<std::int32_t> change_priority(const change_priority_args& args) override;
  expected<unit> update_progress(const progress_args& args) override;
  expected<revoke_outcome> revoke_lease(const revoke_lease_args& args) override;
  expected<reclaim_grant_outcome> issue_reclaim_grant(const claim_grant_args& args) override;

  // valkey_stream.cpp
  expected<append_frame_outcome> append_frame(const append_frame_args& args) override;
  expected<stream_frames> read_attempt_stream(const read_stream_args& args) override;
  expected<stream_frames> tail_attempt_stream(const tail_stream_args& args) override;

  // valkey_scanners.cpp
  expected<worker_liveness> register_worker(const register_worker_args& args) override;
  expected<scan_outcome> expire_leases(const scan_args& args) override;
  expected<scan_outcome> promote_delayed(const scan_args& args) override;
  expected<scan_outcome> expire_attempt_timeouts(const scan_args& args) override;
  expected<scan_outcome> expire_execution_deadlines(const scan_args& args) override;
  expected<scan_outcome> trim_retention(const scan_args& args) override;
  expected<scan_outcome> reconcile_indexes(const scan_args& args) override;
  expected<std::vector<lane_count>> count_eligible(
      std::uint16_t partition, const std::vector<std::string>& lanes) override;
  expected<std::vector<std::string>> lanes_with_eligible_work() override;

  // valkey_suspension.cpp
  expected<std::string> seed_waitpoint_hmac_secret(std::uint16_t partition,
                                                   const std::string& kid,
                                                   const std::string& secret_hex) override;
  expected<rotate_secret_outcome> rotate_waitpoint_hmac_secret(std::uint16_t partition,
                                                               const std::string& new_kid,
                                                               const std::string& secret_hex,
                                                               std::int64_t grace_ms) override;
  expected<hmac_ring> get_waitpoint_hmac_ring(std::uint16_t partition) override;
  expected<suspend_outcome> suspend_execution(const suspend_args& args) override;
  expected<waitpoint_binding> create_pending_waitpoint(
      const create_pending_waitpoint_args& args) override;
  expected<deliver_signal_outcome> deliver_signal(const deliver_signal_args& args) override;
  expected<scan_outcome> expire_suspensions(const scan_args& args) override;
  expected<scan_outcome> expire_pending_waitpoints(const scan_args& args) override;
  expected<pending_waitpoint_page> list_pending_waitpoints(
      const list_pending_waitpoints_args& args) override;
  expected<std::string> get_waitpoint_token(const execution_id& id,
                                            const std::string& waitpoint_id) override;

  // Library functions no production path calls, kept callable for the
  // store-layout tests (tests/valkey); not part of engine_backend.
  // ff_issue_claim_grant: a claim grant for one execution (capability_mismatch
  // carries the missing capabilities, sorted CSV, as detail).
  expected<claim_grant> issue_claim_grant(const claim_grant_args& args);
  // ff_reclaim_execution: consumes a reclaim grant (claim_execution does
  // the same for a reclaimable execution).
  expected<claimed_lease> reclaim_execution(const claim_execution_args& args);
  // ff_mark_lease_expired_if_due (the write paths and expire_leases mark
  // expired leases themselves).
  expected<mark_expired_outcome> mark_lease_expired_if_due(const execution_id& id);
  // ff_heartbeat_worker (the node refreshes a worker with register_worker).
  expected<worker_liveness> heartbeat_worker(const heartbeat_worker_args& args);
  // ff_buffer_signal_for_pending_waitpoint (deliver_signal buffers on a
  // pending waitpoint itself).
  expected<deliver_signal_outcome> buffer_signal_for_pending_waitpoint(
      const deliver_signal_args& args);

  // The boot steps prepare() runs, in this order.
  expected<server_identity> read_server_identity();
  // FCALL ff_version: the loaded library's version, "" when none is loaded.
  expected<std::string> loaded_library_version();
  // FUNCTION LOAD REPLACE of the embedded library.
  expected<unit> load_library();
  // ff_init_partition_config: true when this call wrote the record.
  expected<bool> init_partition_config(const partition_counts& counts);
  // Lane registry: SADD ff:idx:lanes, HSETNX ff:lane:<lane>:config created_at.
  expected<unit> seed_lanes(const std::vector<std::string>& lanes);

private:
  // ff_claim_resumed_execution: the interrupted attempt continues under a
  // new lease (type "resumed").
  expected<claimed_lease> claim_resumed_execution(const claim_execution_args& args);

  redis_connection conn_;
};

} // namespace ff
