// Suspension, waitpoints, signals and the waitpoint secret ring on Valkey
// (lua/suspension.lua, lua/signal.lua). Per-execution functions run on the
// execution's key block; the Lua side derives the waitpoint, signal and
// suspension keys (same hash tag) from the ids.

#include "backends/valkey/function_call.hpp"
#include "backends/valkey/keys.hpp"
#include "backends/valkey/reply_parse.hpp"
#include "backends/valkey/valkey_backend_impl.hpp"
#include "core/clock.hpp"

namespace ff {

namespace k = valkey_keys;
using valkey_detail::field_reader;

namespace {

// One FCALL on an execution's key block; ARGV[1] is the execution id.
expected<lua_envelope> call_on_execution(redis_connection& conn, std::string_view function,
                                         const execution_id& eid, std::vector<std::string> args,
                                         call_mode mode = call_mode::read_write) {
  args.insert(args.begin(), eid.value);
  return call_function(conn, function, k::exec_block_keys(eid), args, mode);
}

void append_fence(std::vector<std::string>& args, const lease_fence& f) {
  args.push_back(f.lease_id);
  args.push_back(std::to_string(f.lease_epoch));
  args.push_back(std::to_string(f.attempt_index));
  args.push_back(f.attempt_id);
}

expected<unit> check_uuid(const std::string& value, const char* what) {
  if (!uuid::parse(value) || value.size() != 36)
    return engine_error::invalid_input(std::string("invalid ") + what + ": " + value);
  return unit{};
}

std::string default_key(const std::string& key, const std::string& waitpoint_id) {
  return key.empty() ? "wpk:" + waitpoint_id : key;
}

std::string to_decimal(std::int64_t v) { return std::to_string(v); }

// Signal quadruples (signal_id, signal_name, source_identity, payload) at i.
bool read_signals(const lua_envelope& env, std::size_t i, std::size_t n,
                  std::vector<delivered_signal>& out) {
  if (env.fields.size() < i + 4 * n)
    return false;
  for (std::size_t j = 0; j < n; ++j, i += 4)
    out.push_back({env.field(i), env.field(i + 1), env.field(i + 2), env.field(i + 3)});
  return true;
}

expected<deliver_signal_outcome> deliver(redis_connection& conn, std::string_view function,
                                         const deliver_signal_args& a) {
  if (auto ok = check_uuid(a.waitpoint_id, "waitpoint_id"); !ok)
    return std::move(ok).error();
  if (auto ok = check_uuid(a.signal_id, "signal_id"); !ok)
    return std::move(ok).error();
  if (a.dedup_ttl_ms < 0 || a.resume_delay_ms < 0 || a.created_at < 0)
    return engine_error::invalid_input("negative dedup_ttl_ms, resume_delay_ms or created_at");
  auto env = call_on_execution(
      conn, function, a.execution_id,
      {a.waitpoint_id, a.signal_id, a.signal_name, a.signal_category, a.source_type,
       a.source_identity, a.payload, a.payload_encoding, a.idempotency_key, a.correlation_id,
       a.target_scope, valkey_detail::optional_number(a.created_at),
       to_decimal(a.dedup_ttl_ms), to_decimal(a.resume_delay_ms),
       std::to_string(a.signal_maxlen == 0 ? default_signal_maxlen : a.signal_maxlen),
       std::to_string(a.max_signals_per_execution)});
  if (!env)
    return std::move(env).error();
  deliver_signal_outcome out;
  out.signal_id = env->field(0);
  if (env->status == "DUPLICATE") {
    out.duplicate = true;
    return out;
  }
  out.effect = env->field(1);
  out.lane_id = env->field(2);
  out.became_eligible = env->field(3) == "1";
  if (out.signal_id.empty() || out.effect.empty())
    return engine_error::internal(std::string(function) + ": short reply");
  return out;
}

} // namespace

// --- secret ring ----------------------------------------------------------------

expected<std::string> valkey_backend::seed_waitpoint_hmac_secret(std::uint16_t partition,
                                                                 const std::string& kid,
                                                                 const std::string& secret_hex) {
  auto env = call_function(conn_, "ff_seed_waitpoint_hmac_secret",
                           {k::waitpoint_hmac_key(flow_partition_tag(partition))},
                           {kid, secret_hex});
  if (!env)
    return std::move(env).error();
  return env->field(0);
}

expected<rotate_secret_outcome> valkey_backend::rotate_waitpoint_hmac_secret(
    std::uint16_t partition, const std::string& new_kid, const std::string& secret_hex,
    std::int64_t grace_ms) {
  auto env = call_function(conn_, "ff_rotate_waitpoint_hmac_secret",
                           {k::waitpoint_hmac_key(flow_partition_tag(partition))},
                           {new_kid, secret_hex, to_decimal(grace_ms)});
  if (!env)
    return std::move(env).error();
  rotate_secret_outcome out;
  field_reader r(*env, "ff_rotate_waitpoint_hmac_secret");
  out.status = r.text(0);
  out.previous_kid = r.text(1);
  out.new_kid = r.text(2);
  r.integer(3, out.gc_count);
  if (!r.ok())
    return r.error();
  return out;
}

expected<hmac_ring> valkey_backend::get_waitpoint_hmac_ring(std::uint16_t partition) {
  auto env = call_function(conn_, "ff_get_waitpoint_hmac_ring",
                           {k::waitpoint_hmac_key(flow_partition_tag(partition))}, {},
                           call_mode::read_only);
  if (!env)
    return std::move(env).error();
  hmac_ring ring;
  field_reader r(*env, "ff_get_waitpoint_hmac_ring");
  ring.current_kid = r.text(0);
  std::size_t n = 0;
  r.integer(1, n);
  if (!r.ok())
    return r.error();
  if (env->fields.size() < 2 + 3 * n)
    return engine_error::internal("ff_get_waitpoint_hmac_ring: short reply");
  for (std::size_t i = 2; i < 2 + 3 * n; i += 3) {
    hmac_kid kid;
    kid.secret_hex = env->field(i + 1);
    if (!r.integer(i + 2, kid.expires_at_ms))
      return r.error();
    ring.kids[env->field(i)] = std::move(kid);
  }
  return ring;
}

// --- suspend ----------------------------------------------------------------------

// The request rules (validate_suspend_args, core/suspension.hpp) ran in the
// codec, the only way here: this checks what the node minted (suspension,
// waitpoint ids and tokens), the fence, and the rules core states for any
// suspend call (check_waitpoint_count, check_suspend_condition), whose
// normalised condition is what the store keeps.
expected<suspend_outcome> valkey_backend::suspend_execution(const suspend_args& a) {
  if (a.fence.empty())
    return classify_store_error("fence_required", "");
  if (auto ok = check_uuid(a.suspension_id, "suspension_id"); !ok)
    return std::move(ok).error();
  if (auto ok = check_waitpoint_count(a.waitpoints.size()); !ok)
    return std::move(ok).error();

  std::vector<std::string> known_keys;
  bool activates_pending = false;
  std::vector<std::string> wp_args;
  for (const auto& w : a.waitpoints) {
    if (auto ok = check_uuid(w.waitpoint_id, "waitpoint_id"); !ok)
      return std::move(ok).error();
    if (w.activate_pending) {
      activates_pending = true;
      wp_args.insert(wp_args.end(), {"pending", w.waitpoint_id, "", ""});
      continue;
    }
    if (w.waitpoint_token.empty())
      return engine_error::invalid_input("waitpoint " + w.waitpoint_id + ": no token minted");
    const std::string key = default_key(w.waitpoint_key, w.waitpoint_id);
    known_keys.push_back(key);
    wp_args.insert(wp_args.end(), {"fresh", w.waitpoint_id, key, w.waitpoint_token});
  }
  auto condition = check_suspend_condition(a, known_keys, activates_pending);
  if (!condition)
    return std::move(condition).error();

  std::int64_t dedup_ttl = a.dedup_ttl_ms;
  if (!a.idempotency_key.empty() && dedup_ttl == 0)
    dedup_ttl = suspend_dedup_ttl_ms(a.timeout_at, now_ms());
  std::vector<std::string> args;
  append_fence(args, a.fence);
  args.insert(args.end(),
              {a.suspension_id, a.reason_code, a.requested_by,
               valkey_detail::optional_number(a.timeout_at), a.timeout_behavior, *condition,
               a.resume_policy_json, a.idempotency_key, valkey_detail::optional_number(dedup_ttl),
               std::to_string(a.waitpoints.size())});
  args.insert(args.end(), wp_args.begin(), wp_args.end());
  auto env = call_on_execution(conn_, "ff_suspend_execution", a.execution_id, std::move(args));
  if (!env)
    return std::move(env).error();

  suspend_outcome out;
  field_reader r(*env, "ff_suspend_execution");
  out.suspension_id = r.text(0);
  out.status = env->status == "ALREADY_SATISFIED" ? suspend_status::already_satisfied
                                                   : suspend_status::suspended;
  std::size_t n = 0;
  r.integer(1, n);
  if (!r.ok())
    return r.error();
  std::size_t i = 2;
  if (env->fields.size() < i + 3 * n + 1)
    return engine_error::internal("ff_suspend_execution: short reply");
  for (std::size_t j = 0; j < n; ++j, i += 3)
    out.waitpoints.push_back({env->field(i), env->field(i + 1), env->field(i + 2)});
  std::size_t m = 0;
  if (!r.integer(i, m))
    return r.error();
  if (!read_signals(*env, i + 1, m, out.signals))
    return engine_error::internal("ff_suspend_execution: short signal list");
  return out;
}

// The request rules (validate_pending_waitpoint_args) ran in the codec;
// the id and token are the node's.
expected<waitpoint_binding> valkey_backend::create_pending_waitpoint(
    const create_pending_waitpoint_args& a) {
  if (a.fence.empty())
    return classify_store_error("fence_required", "");
  if (auto ok = check_uuid(a.waitpoint_id, "waitpoint_id"); !ok)
    return std::move(ok).error();
  if (a.waitpoint_token.empty())
    return engine_error::invalid_input("waitpoint " + a.waitpoint_id + ": no token minted");
  std::vector<std::string> args;
  append_fence(args, a.fence);
  args.insert(args.end(), {a.waitpoint_id, default_key(a.waitpoint_key, a.waitpoint_id),
                           a.waitpoint_token, valkey_detail::optional_number(a.expires_at)});
  auto env =
      call_on_execution(conn_, "ff_create_pending_waitpoint", a.execution_id, std::move(args));
  if (!env)
    return std::move(env).error();
  return waitpoint_binding{env->field(0), env->field(1), env->field(2)};
}

// --- signals ------------------------------------------------------------------------

expected<deliver_signal_outcome> valkey_backend::deliver_signal(const deliver_signal_args& a) {
  return deliver(conn_, "ff_deliver_signal", a);
}

expected<deliver_signal_outcome> valkey_backend::buffer_signal_for_pending_waitpoint(
    const deliver_signal_args& a) {
  return deliver(conn_, "ff_buffer_signal_for_pending_waitpoint", a);
}

// --- scanners ------------------------------------------------------------------------

expected<scan_outcome> valkey_backend::expire_suspensions(const scan_args& a) {
  auto env = call_function(conn_, "ff_expire_suspensions",
                           {k::suspension_timeout_key(flow_partition_tag(a.partition))},
                           {std::to_string(a.now_ms), std::to_string(a.limit)});
  if (!env)
    return std::move(env).error();
  return valkey_detail::parse_scan_reply(*env, "ff_expire_suspensions");
}

expected<scan_outcome> valkey_backend::expire_pending_waitpoints(const scan_args& a) {
  auto env = call_function(conn_, "ff_expire_pending_waitpoints",
                           {k::pending_waitpoint_expiry_key(flow_partition_tag(a.partition))},
                           {std::to_string(a.now_ms), std::to_string(a.limit)});
  if (!env)
    return std::move(env).error();
  return valkey_detail::parse_scan_reply(*env, "ff_expire_pending_waitpoints");
}

// --- reads -----------------------------------------------------------------------------

expected<pending_waitpoint_page> valkey_backend::list_pending_waitpoints(
    const list_pending_waitpoints_args& a) {
  if (a.limit < 1 || a.limit > max_pending_waitpoints_page)
    return engine_error::invalid_input("limit must be between 1 and " +
                                       std::to_string(max_pending_waitpoints_page));
  auto env = call_on_execution(conn_, "ff_list_pending_waitpoints", a.execution_id,
                               {a.cursor, std::to_string(a.limit)}, call_mode::read_only);
  if (!env)
    return std::move(env).error();
  pending_waitpoint_page page;
  field_reader r(*env, "ff_list_pending_waitpoints");
  page.next_cursor = r.text(0);
  std::size_t n = 0;
  r.integer(1, n);
  std::size_t i = 2;
  for (std::size_t j = 0; j < n && r.ok(); ++j) {
    if (env->fields.size() < i + 9)
      return engine_error::internal("ff_list_pending_waitpoints: short reply");
    pending_waitpoint_info w;
    w.waitpoint_id = r.text(i);
    w.waitpoint_key = r.text(i + 1);
    w.state = r.text(i + 2);
    r.integer(i + 3, w.created_at);
    r.integer(i + 4, w.activated_at);
    r.integer(i + 5, w.expires_at);
    w.execution_id = r.text(i + 6);
    // The raw token stays here: listings show only its kid and fingerprint.
    const std::string token = r.text(i + 7);
    w.token_kid = token_kid(token);
    w.token_fingerprint = token_fingerprint(token);
    std::size_t names = 0;
    r.integer(i + 8, names);
    i += 9;
    if (env->fields.size() < i + names)
      return engine_error::internal("ff_list_pending_waitpoints: short name list");
    for (std::size_t k2 = 0; k2 < names; ++k2)
      w.required_signal_names.push_back(r.text(i + k2));
    i += names;
    page.waitpoints.push_back(std::move(w));
  }
  if (!r.ok())
    return r.error();
  return page;
}

expected<std::string> valkey_backend::get_waitpoint_token(const execution_id& id,
                                                          const std::string& waitpoint_id) {
  if (auto ok = check_uuid(waitpoint_id, "waitpoint_id"); !ok)
    return std::move(ok).error();
  auto env = call_function(conn_, "ff_get_waitpoint_token",
                           {k::waitpoint_hash_key(k::tag_of(id.value), waitpoint_id)},
                           {id.value, waitpoint_id}, call_mode::read_only);
  if (!env)
    return std::move(env).error();
  if (env->status == "NOT_FOUND")
    return engine_error::not_found(
        "waitpoint token not found (consumed, expired, or unknown id)");
  return env->field(0);
}

} // namespace ff
