#include "actors/messages.hpp"

namespace ff {

const char* to_string(scan_kind kind) {
  switch (kind) {
    case scan_kind::expire_leases: return "expire_leases";
    case scan_kind::promote_delayed: return "promote_delayed";
    case scan_kind::expire_attempt_timeouts: return "expire_attempt_timeouts";
    case scan_kind::expire_execution_deadlines: return "expire_execution_deadlines";
    case scan_kind::trim_retention: return "trim_retention";
    case scan_kind::reconcile_indexes: return "reconcile_indexes";
    case scan_kind::expire_suspensions: return "expire_suspensions";
    case scan_kind::expire_pending_waitpoints: return "expire_pending_waitpoints";
  }
  return "unknown";
}

namespace {

template <class T>
void add_with_reply(caf::actor_system_config& cfg, const std::string& name) {
  cfg.add_message_type<T>("ff::" + name);
  cfg.add_message_type<reply<T>>("ff::reply<" + name + ">");
}

} // namespace

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<engine_error>("ff::engine_error");
  cfg.add_message_type<scan_kind>("ff::scan_kind");
  add_with_reply<unit>(cfg, "unit");
  // Built-in payload types need only their reply wrapper registered.
  cfg.add_message_type<reply<std::string>>("ff::reply<string>");
  cfg.add_message_type<reply<std::int32_t>>("ff::reply<int32>");
  // Arguments.
  cfg.add_message_type<create_execution_args>("ff::create_execution_args");
  cfg.add_message_type<list_executions_args>("ff::list_executions_args");
  cfg.add_message_type<acquire_args>("ff::acquire_args");
  cfg.add_message_type<dispatch_request>("ff::dispatch_request");
  cfg.add_message_type<claim_grant_args>("ff::claim_grant_args");
  cfg.add_message_type<claim_execution_args>("ff::claim_execution_args");
  cfg.add_message_type<lease_fence>("ff::lease_fence");
  cfg.add_message_type<renew_lease_args>("ff::renew_lease_args");
  cfg.add_message_type<complete_args>("ff::complete_args");
  cfg.add_message_type<fail_args>("ff::fail_args");
  cfg.add_message_type<progress_args>("ff::progress_args");
  cfg.add_message_type<append_frame_args>("ff::append_frame_args");
  cfg.add_message_type<cancel_args>("ff::cancel_args");
  cfg.add_message_type<replay_args>("ff::replay_args");
  cfg.add_message_type<change_priority_args>("ff::change_priority_args");
  cfg.add_message_type<revoke_lease_args>("ff::revoke_lease_args");
  cfg.add_message_type<read_stream_args>("ff::read_stream_args");
  cfg.add_message_type<tail_stream_args>("ff::tail_stream_args");
  cfg.add_message_type<scan_args>("ff::scan_args");
  cfg.add_message_type<register_worker_args>("ff::register_worker_args");
  cfg.add_message_type<waitpoint_request>("ff::waitpoint_request");
  cfg.add_message_type<suspend_args>("ff::suspend_args");
  cfg.add_message_type<create_pending_waitpoint_args>("ff::create_pending_waitpoint_args");
  cfg.add_message_type<deliver_signal_args>("ff::deliver_signal_args");
  cfg.add_message_type<list_pending_waitpoints_args>("ff::list_pending_waitpoints_args");
  // Results.
  cfg.add_message_type<state_vector>("ff::state_vector");
  cfg.add_message_type<claimed_lease>("ff::claimed_lease");
  cfg.add_message_type<claim_grant>("ff::claim_grant");
  cfg.add_message_type<stream_frame>("ff::stream_frame");
  cfg.add_message_type<lane_execution>("ff::lane_execution");
  add_with_reply<create_execution_outcome>(cfg, "create_execution_outcome");
  add_with_reply<execution_info>(cfg, "execution_info");
  add_with_reply<execution_result>(cfg, "execution_result");
  add_with_reply<execution_page>(cfg, "execution_page");
  add_with_reply<acquire_outcome>(cfg, "acquire_outcome");
  add_with_reply<grant_outcome>(cfg, "grant_outcome");
  add_with_reply<renew_outcome>(cfg, "renew_outcome");
  add_with_reply<complete_outcome>(cfg, "complete_outcome");
  add_with_reply<fail_outcome>(cfg, "fail_outcome");
  add_with_reply<append_frame_outcome>(cfg, "append_frame_outcome");
  add_with_reply<cancel_outcome>(cfg, "cancel_outcome");
  add_with_reply<replay_outcome>(cfg, "replay_outcome");
  add_with_reply<revoke_outcome>(cfg, "revoke_outcome");
  add_with_reply<reclaim_grant_outcome>(cfg, "reclaim_grant_outcome");
  add_with_reply<stream_frames>(cfg, "stream_frames");
  add_with_reply<scan_outcome>(cfg, "scan_outcome");
  add_with_reply<std::vector<lane_count>>(cfg, "lane_counts");
  add_with_reply<worker_liveness>(cfg, "worker_liveness");
  cfg.add_message_type<delivered_signal>("ff::delivered_signal");
  cfg.add_message_type<pending_waitpoint_info>("ff::pending_waitpoint_info");
  cfg.add_message_type<hmac_kid>("ff::hmac_kid");
  add_with_reply<suspend_outcome>(cfg, "suspend_outcome");
  add_with_reply<waitpoint_binding>(cfg, "waitpoint_binding");
  add_with_reply<deliver_signal_outcome>(cfg, "deliver_signal_outcome");
  add_with_reply<pending_waitpoint_page>(cfg, "pending_waitpoint_page");
  add_with_reply<rotate_secret_outcome>(cfg, "rotate_secret_outcome");
  add_with_reply<hmac_ring>(cfg, "hmac_ring");
}

} // namespace ff
