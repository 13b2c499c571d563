#pragma once
// Key names of the Valkey layout (execution-model.md §2). Every key the node
// names is built here: the keys it passes in KEYS of a function call and
// the few it reads or writes with a plain command.
//
// The Lua library (lua/*.lua) derives further keys itself from its
// arguments or stored state, always under the hash tag of the keys it was
// passed. Those are built only by the ff_key.* functions of the "Keys"
// section of lua/helpers.lua. ff_key.<name>(tag, eid, ...) is the twin of
// <name>_key(eid, ...) below (tag-only keys take the same arguments) for
//   exec_core, exec_payload, exec_policy, exec_tags, exec_result,
//   lease_current, lease_history, claim_grant, attempts, suspension_current,
//   exec_waitpoints, exec_signals, attempt, attempt_summary, stream,
//   stream_meta, lane_index, worker_leases, lease_expiry, attempt_timeout,
//   execution_deadline, all_executions, retention, suspension_timeout,
//   pending_waitpoint_expiry, waitpoint_hash, waitpoint_signals,
//   waitpoint_condition, signal_hash.
// Keys only the library names have no twin here:
//   ff_key.suspension_satisfied_set      ff:exec:T:E:suspension:current:satisfied_set
//   ff_key.suspension_satisfied_signals  ff:exec:T:E:suspension:current:satisfied_set:signals
//   ff_key.suspension_member_map         ff:exec:T:E:suspension:current:member_map
//   ff_key.deps_meta, ff_key.deps_unresolved, ff_key.deps_all_edges
//                                        ff:exec:T:E:deps:meta, :unresolved, :all_edges
//   ff_key.dep_edge                      ff:exec:T:E:dep:<edge>
//   ff_key.attempt_usage, ff_key.attempt_policy
//                                        ff:attempt:T:E:I:usage, :policy
//   ff_key.signal_payload                ff:signal:T:<signal_id>:payload
//   ff_key.signal_dedup                  ff:sigdedup:T:<waitpoint_id>:<idempotency_key>
//   ff_key.suspend_dedup                 ff:dedup:suspend:T:E:<idempotency_key>
//   ff_key.signal_delivery               ff:part:T:signal_delivery
// The same section reads the tag of a declared ff:idx:T:... and
// ff:sec:T:waitpoint_hmac key, and names the ff:dag:completions channel.
//
// T = a partition hash tag ("{fp:N}"), E = a whole execution id
// ("{fp:N}:<uuid>"). Per-execution keys embed the whole id after the tag,
// so the tag appears twice; the cluster hashes only the first {...}.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"

namespace ff::valkey_keys {

inline std::string str(std::string_view s) { return std::string(s); }

// The execution id a per-execution key is built from: a typed id (its text)
// or text already validated (an id read back from the store).
class eid_text {
public:
  eid_text(const execution_id& id) : text_(id.value) {}
  eid_text(const std::string& text) : text_(text) {}
  eid_text(std::string_view text) : text_(text) {}
  eid_text(const char* text) : text_(text) {}
  operator std::string_view() const { return text_; }

private:
  std::string_view text_;
};

// "{fp:N}" of an execution id (the caller has validated the id).
inline std::string tag_of(std::string_view execution_id) {
  const auto close = execution_id.find('}');
  return str(execution_id.substr(0, close == std::string_view::npos ? 0 : close + 1));
}

// --- per-execution keys (slot of E's tag) ---------------------------------
inline std::string exec_key(eid_text eid, std::string_view suffix) {
  return "ff:exec:" + tag_of(eid) + ":" + str(eid) + ":" + str(suffix);
}
inline std::string exec_core_key(eid_text eid) { return exec_key(eid, "core"); }
inline std::string exec_payload_key(eid_text eid) { return exec_key(eid, "payload"); }
inline std::string exec_result_key(eid_text eid) { return exec_key(eid, "result"); }
inline std::string exec_policy_key(eid_text eid) { return exec_key(eid, "policy"); }
inline std::string exec_tags_key(eid_text eid) { return exec_key(eid, "tags"); }
inline std::string lease_current_key(eid_text eid) { return exec_key(eid, "lease:current"); }
inline std::string lease_history_key(eid_text eid) { return exec_key(eid, "lease:history"); }
inline std::string claim_grant_key(eid_text eid) { return exec_key(eid, "claim_grant"); }
inline std::string attempts_key(eid_text eid) { return exec_key(eid, "attempts"); }

// --- per-attempt keys (slot of E's tag) -----------------------------------
// ff:attempt:T:E:I (HASH), ff:attempt:T:E:I:summary, ff:stream:T:E:I (STREAM),
// ff:stream:T:E:I:meta.
inline std::string attempt_key(eid_text eid, std::uint32_t index) {
  return "ff:attempt:" + tag_of(eid) + ":" + str(eid) + ":" + std::to_string(index);
}
inline std::string attempt_summary_key(eid_text eid, std::uint32_t index) {
  return attempt_key(eid, index) + ":summary";
}
inline std::string stream_key(eid_text eid, std::uint32_t index) {
  return "ff:stream:" + tag_of(eid) + ":" + str(eid) + ":" + std::to_string(index);
}
inline std::string stream_meta_key(eid_text eid, std::uint32_t index) {
  return stream_key(eid, index) + ":meta";
}

// --- partition-wide keys (slot of T) --------------------------------------
// ff:idx:T:lane:<lane>:<state> for state eligible, delayed, active, terminal,
// suspended, blocked:dependencies, blocked:budget, ...
inline std::string lane_index_key(std::string_view tag, std::string_view lane,
                                  std::string_view state) {
  return "ff:idx:" + str(tag) + ":lane:" + str(lane) + ":" + str(state);
}
inline std::string lane_eligible_key(std::string_view tag, std::string_view lane) {
  return lane_index_key(tag, lane, "eligible");
}
// The <lane> of a lane_eligible_key name; empty when `key` is not one.
inline std::string_view lane_of_eligible_key(std::string_view key) {
  constexpr std::string_view infix = "}:lane:", suffix = ":eligible";
  auto at = key.find(infix);
  if (key.rfind("ff:idx:{", 0) != 0 || at == std::string_view::npos ||
      key.size() < at + infix.size() + suffix.size() ||
      key.substr(key.size() - suffix.size()) != suffix)
    return {};
  return key.substr(at + infix.size(), key.size() - suffix.size() - (at + infix.size()));
}
inline std::string lane_delayed_key(std::string_view tag, std::string_view lane) {
  return lane_index_key(tag, lane, "delayed");
}
inline std::string lane_active_key(std::string_view tag, std::string_view lane) {
  return lane_index_key(tag, lane, "active");
}
inline std::string lane_terminal_key(std::string_view tag, std::string_view lane) {
  return lane_index_key(tag, lane, "terminal");
}
inline std::string execution_deadline_key(std::string_view tag) {
  return "ff:idx:" + str(tag) + ":execution_deadline";
}
// exec id -> current lease expires_at (refreshed by renew).
inline std::string lease_expiry_key(std::string_view tag) {
  return "ff:idx:" + str(tag) + ":lease_expiry";
}
// exec id -> claim time + attempt_timeout_ms.
inline std::string attempt_timeout_key(std::string_view tag) {
  return "ff:idx:" + str(tag) + ":attempt_timeout";
}
// exec id -> completed_at + retention; what the retention trimmer deletes.
inline std::string retention_key(std::string_view tag) {
  return "ff:idx:" + str(tag) + ":retention";
}
// SET of the exec ids one worker instance holds leases on.
inline std::string worker_leases_key(std::string_view tag, std::string_view instance_id) {
  return "ff:idx:" + str(tag) + ":worker:" + str(instance_id) + ":leases";
}
// ZSET, every member scored 0: listing pages by ZRANGE BYLEX.
inline std::string all_executions_key(std::string_view tag) {
  return "ff:idx:" + str(tag) + ":all_executions";
}
// Creation dedup, scoped by (partition, namespace). The namespace is
// length-prefixed so no (namespace, key) pair can spell another's key:
// ("a:y", "z") and ("a", "y:z") differ.
inline std::string idempotency_key(std::string_view tag, std::string_view namespace_name,
                                   std::string_view key) {
  return "ff:idem:" + str(tag) + ":" + std::to_string(namespace_name.size()) + ":" +
         str(namespace_name) + ":" + str(key);
}
// --- suspension, waitpoints, signals (slot of T; lua/suspension.lua) -------
inline std::string suspension_current_key(eid_text eid) {
  return exec_key(eid, "suspension:current");
}
// SET of every waitpoint id ever bound to the execution.
inline std::string exec_waitpoints_key(eid_text eid) { return exec_key(eid, "waitpoints"); }
// ZSET signal id -> accepted ms.
inline std::string exec_signals_key(eid_text eid) { return exec_key(eid, "signals"); }
inline std::string waitpoint_hash_key(std::string_view tag, std::string_view waitpoint_id) {
  return "ff:wp:" + str(tag) + ":" + str(waitpoint_id);
}
inline std::string waitpoint_signals_key(std::string_view tag, std::string_view waitpoint_id) {
  return waitpoint_hash_key(tag, waitpoint_id) + ":signals";
}
inline std::string waitpoint_condition_key(std::string_view tag, std::string_view waitpoint_id) {
  return waitpoint_hash_key(tag, waitpoint_id) + ":condition";
}
inline std::string signal_hash_key(std::string_view tag, std::string_view signal_id) {
  return "ff:signal:" + str(tag) + ":" + str(signal_id);
}
inline std::string lane_suspended_key(std::string_view tag, std::string_view lane) {
  return lane_index_key(tag, lane, "suspended");
}
// exec id -> suspension timeout_at.
inline std::string suspension_timeout_key(std::string_view tag) {
  return "ff:idx:" + str(tag) + ":suspension_timeout";
}
// waitpoint id -> pending expires_at.
inline std::string pending_waitpoint_expiry_key(std::string_view tag) {
  return "ff:idx:" + str(tag) + ":pending_waitpoint_expiry";
}
// The waitpoint HMAC secret ring of one flow partition.
inline std::string waitpoint_hmac_key(std::string_view tag) {
  return "ff:sec:" + str(tag) + ":waitpoint_hmac";
}

// Passed in place of an absent optional key; never touched.
inline std::string noop_key(std::string_view tag) { return "ff:noop:" + str(tag); }

// The key block every lifecycle function declares, in the order the Lua
// library checks (FF_EXEC_BLOCK in lua/helpers.lua).
inline std::vector<std::string> exec_block_keys(eid_text eid) {
  const std::string tag = tag_of(eid);
  return {exec_core_key(eid),       exec_payload_key(eid),   exec_policy_key(eid),
          exec_tags_key(eid),       exec_result_key(eid),    lease_current_key(eid),
          lease_history_key(eid),   claim_grant_key(eid),    attempts_key(eid),
          lease_expiry_key(tag),    attempt_timeout_key(tag), execution_deadline_key(tag),
          all_executions_key(tag),  retention_key(tag)};
}

// --- worker registry (slot of {wk:<namespace>}) ---------------------------
// One tag per namespace so registration is a single-slot call.
inline std::string worker_tag(std::string_view namespace_name) {
  return "{wk:" + str(namespace_name) + "}";
}
inline std::string worker_alive_key(std::string_view ns, std::string_view instance_id) {
  return "ff:worker:" + worker_tag(ns) + ":" + str(instance_id) + ":alive";
}
inline std::string worker_caps_key(std::string_view ns, std::string_view instance_id) {
  return "ff:worker:" + worker_tag(ns) + ":" + str(instance_id) + ":caps";
}
inline std::string workers_index_key(std::string_view ns) {
  return "ff:idx:" + worker_tag(ns) + ":workers";
}

// --- global keys (no hash tag) --------------------------------------------
inline std::string partition_config_key() { return "ff:config:partitions"; }
inline std::string lanes_index_key() { return "ff:idx:lanes"; }
inline std::string lane_config_key(std::string_view lane) {
  return "ff:lane:" + str(lane) + ":config";
}

} // namespace ff::valkey_keys
