// The execution lifecycle on Valkey: claims, acquire, renew, terminal
// operations, revoke and reclaim. Each operation is one FCALL of the Lua
// function with the same name (lua/lease.lua, scheduling.lua, completion.lua)
// on the execution's key block (valkey_keys::exec_block_keys).

#include "backends/valkey/function_call.hpp"
#include "backends/valkey/keys.hpp"
#include "backends/valkey/reply_parse.hpp"
#include "backends/valkey/valkey_backend_impl.hpp"

namespace ff {

namespace k = valkey_keys;
using valkey_detail::field_reader;

namespace {

// The fence as ARGV: lease_id, lease_epoch, attempt_index, attempt_id; all
// empty when there is no fence.
void append_fence(std::vector<std::string>& args, const lease_fence& f) {
  if (f.empty()) {
    args.insert(args.end(), {"", "", "", ""});
    return;
  }
  args.push_back(f.lease_id);
  args.push_back(std::to_string(f.lease_epoch));
  args.push_back(std::to_string(f.attempt_index));
  args.push_back(f.attempt_id);
}

// One FCALL on an execution's key block; ARGV[1] is the execution id.
expected<lua_envelope> call_on_execution(redis_connection& conn, std::string_view function,
                                         const execution_id& eid,
                                         std::vector<std::string> args) {
  args.insert(args.begin(), eid.value);
  return call_function(conn, function, k::exec_block_keys(eid), args);
}

// The claim reply fields from `offset` (ff_lease_reply in lua/lease.lua):
// 12 scalars, the signals array, then tag pairs.
expected<claimed_lease> parse_claimed_lease(const lua_envelope& env, std::size_t offset,
                                            std::string_view op) {
  field_reader r(env, std::string(op));
  claimed_lease l;
  l.execution_id = r.text(offset);
  r.integer(offset + 1, l.attempt_index);
  l.attempt_id = r.text(offset + 2);
  r.enumerated(offset + 3, l.attempt_type);
  l.lease_id = r.text(offset + 4);
  r.integer(offset + 5, l.lease_epoch);
  r.integer(offset + 6, l.lease_expires_at);
  l.lane_id = r.text(offset + 7);
  l.execution_kind = r.text(offset + 8);
  l.input_payload = r.text(offset + 9);
  l.payload_encoding = r.text(offset + 10);
  l.policy_json = r.text(offset + 11);
  if (l.policy_json.empty())
    l.policy_json = "{}";
  if (!r.ok())
    return r.error();
  if (env.fields.size() < offset + 13 ||
      env.fields[offset + 12].kind != redis_value::type::array)
    return engine_error::internal(std::string(op) + ": short claim reply");
  // A resumed attempt's signals: one nested array of quadruples.
  const auto& sigs = env.fields[offset + 12].elements;
  for (std::size_t i = 0; i + 3 < sigs.size(); i += 4)
    l.signals.push_back({sigs[i].str, sigs[i + 1].str, sigs[i + 2].str, sigs[i + 3].str});
  for (std::size_t i = offset + 13; i + 1 < env.fields.size(); i += 2)
    l.tags[env.field(i)] = env.field(i + 1);
  return l;
}

std::vector<std::string> grant_args(const claim_grant_args& a) {
  return {a.worker_id,
          a.worker_instance_id,
          a.lane_id,
          a.capability_hash,
          std::to_string(a.grant_ttl_ms),
          a.route_snapshot_json,
          a.admission_summary,
          a.worker_capabilities};
}

std::vector<std::string> claim_args(const claim_execution_args& a) {
  return {a.worker_id,
          a.worker_instance_id,
          a.lane_id,
          a.lease_id,
          a.attempt_id,
          std::to_string(a.lease_ttl_ms),
          a.default_max_reclaim_count == 0 ? std::string()
                                           : std::to_string(a.default_max_reclaim_count)};
}

expected<claim_grant> parse_grant(const lua_envelope& env, const execution_id& eid,
                                  std::string_view op) {
  field_reader r(env, std::string(op));
  claim_grant g;
  g.execution_id = r.text(0);
  r.integer(1, g.expires_at_ms);
  g.lane_id = r.text(2);
  if (!r.ok())
    return r.error();
  g.partition_key = k::tag_of(eid.value);
  g.grant_key = k::claim_grant_key(eid);
  return g;
}

} // namespace

expected<claim_grant> valkey_backend::issue_claim_grant(const claim_grant_args& a) {
  auto env = call_on_execution(conn_, "ff_issue_claim_grant", a.execution_id, grant_args(a));
  if (!env)
    return std::move(env).error();
  return parse_grant(*env, a.execution_id, "ff_issue_claim_grant");
}

expected<claimed_lease> valkey_backend::claim_execution(const claim_execution_args& a) {
  auto env = call_on_execution(conn_, "ff_claim_execution", a.execution_id, claim_args(a));
  // A grant is consumed by the fresh-attempt claim unless the execution's
  // attempt was interrupted (suspend, delay): then by the resumed claim.
  if (!env && env.error().code == "use_claim_resumed_execution")
    return claim_resumed_execution(a);
  if (!env)
    return std::move(env).error();
  return parse_claimed_lease(*env, 0, "ff_claim_execution");
}

expected<claimed_lease> valkey_backend::claim_resumed_execution(const claim_execution_args& a) {
  auto env =
      call_on_execution(conn_, "ff_claim_resumed_execution", a.execution_id, claim_args(a));
  if (!env)
    return std::move(env).error();
  return parse_claimed_lease(*env, 0, "ff_claim_resumed_execution");
}

expected<acquire_outcome> valkey_backend::acquire_next_in_lane(const acquire_args& a) {
  if (!is_valid_lane_id(a.lane_id))
    return engine_error::invalid_input("invalid lane_id");
  const std::string tag = flow_partition_tag(a.partition);
  std::vector<std::string> keys = {
      k::lane_eligible_key(tag, a.lane_id), k::lane_active_key(tag, a.lane_id),
      k::lease_expiry_key(tag), k::attempt_timeout_key(tag),
      k::worker_leases_key(tag, a.worker_instance_id)};
  std::vector<std::string> args = {a.lane_id,  a.worker_id,  a.worker_instance_id,
                                   a.worker_capabilities, a.lease_id, a.attempt_id,
                                   std::to_string(a.lease_ttl_ms), ""};
  auto env = call_function(conn_, "ff_acquire_next_in_lane", keys, args);
  if (!env)
    return std::move(env).error();
  acquire_outcome out;
  field_reader r(*env, "ff_acquire_next_in_lane");
  r.integer(0, out.eligible_remaining);
  r.integer(1, out.skipped_capability);
  if (!r.ok())
    return r.error();
  if (env->status == "EMPTY")
    return out;
  auto lease = parse_claimed_lease(*env, 2, "ff_acquire_next_in_lane");
  if (!lease)
    return std::move(lease).error();
  out.acquired = true;
  out.lease = std::move(*lease);
  return out;
}

expected<grant_outcome> valkey_backend::grant_next_in_lane(const acquire_args& a) {
  if (!is_valid_lane_id(a.lane_id))
    return engine_error::invalid_input("invalid lane_id");
  const std::string tag = flow_partition_tag(a.partition);
  std::vector<std::string> keys = {k::lane_eligible_key(tag, a.lane_id)};
  std::vector<std::string> args = {a.lane_id, a.worker_id, a.worker_instance_id,
                                   a.worker_capabilities, std::to_string(a.grant_ttl_ms)};
  auto env = call_function(conn_, "ff_grant_next_in_lane", keys, args);
  if (!env)
    return std::move(env).error();
  grant_outcome out;
  field_reader r(*env, "ff_grant_next_in_lane");
  r.integer(0, out.eligible_remaining);
  r.integer(1, out.skipped_capability);
  if (env->status == "OK")
    r.integer(3, out.grant.expires_at_ms);
  if (!r.ok())
    return r.error();
  if (env->status == "EMPTY")
    return out;
  out.granted = true;
  out.grant.execution_id = env->field(2);
  out.grant.partition_key = tag;
  out.grant.grant_key = env->field(4);
  out.grant.lane_id = a.lane_id;
  return out;
}

expected<renew_outcome> valkey_backend::renew_lease(const renew_lease_args& a) {
  std::vector<std::string> args;
  append_fence(args, a.fence);
  args.push_back(std::to_string(a.lease_ttl_ms));
  args.push_back(std::to_string(a.grace_ms));
  auto env = call_on_execution(conn_, "ff_renew_lease", a.execution_id, std::move(args));
  if (!env)
    return std::move(env).error();
  renew_outcome out;
  field_reader r(*env, "ff_renew_lease");
  r.integer(0, out.lease_expires_at);
  if (!r.ok())
    return r.error();
  out.cancel_requested = env->field(1) == "1";
  out.cancel_reason = env->field(2);
  return out;
}

expected<complete_outcome> valkey_backend::complete_execution(const complete_args& a) {
  std::vector<std::string> args;
  append_fence(args, a.fence);
  args.push_back(a.result);
  args.push_back(a.source);
  auto env =
      call_on_execution(conn_, "ff_complete_execution", a.execution_id, std::move(args));
  if (!env)
    return std::move(env).error();
  complete_outcome out;
  out.replayed = env->field(1) == "1";
  return out;
}

expected<fail_outcome> valkey_backend::fail_execution(const fail_args& a) {
  std::vector<std::string> args;
  append_fence(args, a.fence);
  args.push_back(a.failure_reason);
  args.push_back(a.failure_category);
  args.push_back(a.retryable ? "1" : "0");
  args.push_back(a.source);
  args.push_back(a.failure_details);
  auto env = call_on_execution(conn_, "ff_fail_execution", a.execution_id, std::move(args));
  if (!env)
    return std::move(env).error();
  fail_outcome out;
  field_reader r(*env, "ff_fail_execution");
  r.enumerated(0, out.outcome);
  r.integer(1, out.retry_at);
  if (!r.ok())
    return r.error();
  out.replayed = env->field(2) == "1";
  return out;
}

expected<cancel_outcome> valkey_backend::cancel_execution(const cancel_args& a) {
  std::vector<std::string> args = {a.reason, a.source};
  append_fence(args, a.fence);
  auto env = call_on_execution(conn_, "ff_cancel_execution", a.execution_id, std::move(args));
  if (!env)
    return std::move(env).error();
  cancel_outcome out;
  out.previous_phase = env->field(1);
  out.replayed = env->field(2) == "1";
  return out;
}

expected<replay_outcome> valkey_backend::replay_execution(const replay_args& a) {
  auto env = call_on_execution(conn_, "ff_replay_execution", a.execution_id,
                               {a.reason, a.requested_by});
  if (!env)
    return std::move(env).error();
  replay_outcome out;
  field_reader r(*env, "ff_replay_execution");
  r.enumerated(0, out.public_state);
  r.integer(1, out.replay_count);
  if (!r.ok())
    return r.error();
  return out;
}

expected<std::int32_t> valkey_backend::change_priority(const change_priority_args& a) {
  auto env = call_on_execution(conn_, "ff_change_priority", a.execution_id,
                               {std::to_string(a.priority)});
  if (!env)
    return std::move(env).error();
  std::int32_t priority = 0;
  field_reader r(*env, "ff_change_priority");
  r.integer(0, priority);
  if (!r.ok())
    return r.error();
  return priority;
}

expected<unit> valkey_backend::update_progress(const progress_args& a) {
  std::vector<std::string> args;
  append_fence(args, a.fence);
  args.push_back(std::to_string(a.pct));
  args.push_back(a.message);
  auto env = call_on_execution(conn_, "ff_update_progress", a.execution_id, std::move(args));
  if (!env)
    return std::move(env).error();
  return unit{};
}

expected<revoke_outcome> valkey_backend::revoke_lease(const revoke_lease_args& a) {
  auto env = call_on_execution(conn_, "ff_revoke_lease", a.execution_id,
                               {a.expected_lease_id, a.reason});
  if (!env)
    return std::move(env).error();
  revoke_outcome out;
  if (env->status == "ALREADY_SATISFIED") {
    out.already_satisfied = env->field(0);
    return out;
  }
  field_reader r(*env, "ff_revoke_lease");
  out.revoked = true;
  out.lease_id = r.text(1);
  r.integer(2, out.lease_epoch);
  if (!r.ok())
    return r.error();
  return out;
}

expected<reclaim_grant_outcome> valkey_backend::issue_reclaim_grant(const claim_grant_args& a) {
  auto args = grant_args(a);
  args.insert(args.begin(), a.execution_id.value);
  // Raw: two rejections are outcomes of this operation, not errors.
  auto env = call_function_raw(conn_, "ff_issue_reclaim_grant",
                               k::exec_block_keys(a.execution_id), args);
  if (!env)
    return std::move(env).error();
  reclaim_grant_outcome out;
  if (!env->ok) {
    // The route answers these as a 200 `not_reclaimable` (rest-api.md §3.13).
    if (env->status == "execution_not_reclaimable") {
      out.status = reclaim_grant_status::not_reclaimable;
      out.detail = env->status;
      return out;
    }
    if (env->status == "capability_mismatch") {
      out.status = reclaim_grant_status::not_reclaimable;
      out.detail = "capability_mismatch: " + env->detail();
      return out;
    }
    return classify_store_error(env->status, env->detail());
  }
  if (env->status == "RECLAIM_CAP_EXCEEDED") {
    out.status = reclaim_grant_status::reclaim_cap_exceeded;
    field_reader r(*env, "ff_issue_reclaim_grant");
    r.integer(0, out.reclaim_count);
    if (!r.ok())
      return r.error();
    return out;
  }
  auto grant = parse_grant(*env, a.execution_id, "ff_issue_reclaim_grant");
  if (!grant)
    return std::move(grant).error();
  out.status = reclaim_grant_status::granted;
  out.grant = std::move(*grant);
  return out;
}

expected<claimed_lease> valkey_backend::reclaim_execution(const claim_execution_args& a) {
  auto env = call_on_execution(conn_, "ff_reclaim_execution", a.execution_id, claim_args(a));
  if (!env)
    return std::move(env).error();
  return parse_claimed_lease(*env, 0, "ff_reclaim_execution");
}

expected<mark_expired_outcome> valkey_backend::mark_lease_expired_if_due(
    const execution_id& id) {
  auto env = call_on_execution(conn_, "ff_mark_lease_expired_if_due", id, {});
  if (!env)
    return std::move(env).error();
  return mark_expired_outcome{env->field(0)};
}

} // namespace ff
