#pragma once
// Key names of the Valkey layout (execution-model.md §2). Every function
// that builds a key lives here so the layout is read in one place.
//
// T = a partition hash tag ("{fp:N}"), E = a whole execution id
// ("{fp:N}:<uuid>"). Per-execution keys embed the whole id after the tag,
// so the tag appears twice; the cluster hashes only the first {...}.

#include <string>
#include <string_view>

namespace ff::valkey_keys {

inline std::string str(std::string_view s) { return std::string(s); }

// "{fp:N}" of an execution id (the caller has validated the id).
inline std::string tag_of(std::string_view execution_id) {
  const auto close = execution_id.find('}');
  return str(execution_id.substr(0, close == std::string_view::npos ? 0 : close + 1));
}

// --- per-execution keys (slot of E's tag) ---------------------------------
inline std::string exec_key(std::string_view eid, std::string_view suffix) {
  return "ff:exec:" + tag_of(eid) + ":" + str(eid) + ":" + str(suffix);
}
inline std::string exec_core_key(std::string_view eid) { return exec_key(eid, "core"); }
inline std::string exec_payload_key(std::string_view eid) { return exec_key(eid, "payload"); }
inline std::string exec_result_key(std::string_view eid) { return exec_key(eid, "result"); }
inline std::string exec_policy_key(std::string_view eid) { return exec_key(eid, "policy"); }
inline std::string exec_tags_key(std::string_view eid) { return exec_key(eid, "tags"); }

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
inline std::string lane_delayed_key(std::string_view tag, std::string_view lane) {
  return lane_index_key(tag, lane, "delayed");
}
inline std::string execution_deadline_key(std::string_view tag) {
  return "ff:idx:" + str(tag) + ":execution_deadline";
}
// ZSET, every member scored 0: listing pages by ZRANGE BYLEX.
inline std::string all_executions_key(std::string_view tag) {
  return "ff:idx:" + str(tag) + ":all_executions";
}
// Creation dedup, scoped by (partition, namespace).
inline std::string idempotency_key(std::string_view tag, std::string_view namespace_name,
                                   std::string_view key) {
  return "ff:idem:" + str(tag) + ":" + str(namespace_name) + ":" + str(key);
}
// Passed in place of an absent optional key; never touched.
inline std::string noop_key(std::string_view tag) { return "ff:noop:" + str(tag); }

// --- global keys (no hash tag) --------------------------------------------
inline std::string partition_config_key() { return "ff:config:partitions"; }
inline std::string lanes_index_key() { return "ff:idx:lanes"; }
inline std::string lane_config_key(std::string_view lane) {
  return "ff:lane:" + str(lane) + ":config";
}

} // namespace ff::valkey_keys
