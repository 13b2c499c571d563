#pragma once
// Raw reads of the Valkey layout for the store-layout tests: exec_core,
// indexes, waitpoints, suspensions, and the public-state derivation every
// stored state must satisfy (execution-model.md §3.3, decisions.md §3).
// The request builders are the contract suite's (tests/contract).

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "tests/contract/suspension_support.hpp"
#include "tests/valkey/valkey_fixture.hpp"

namespace ff::test {

namespace lk = ff::valkey_keys;

inline std::string tag_of(const execution_id& eid) { return lk::tag_of(eid.value); }

inline std::map<std::string, std::string> hash_of(valkey_fixture& fx, const std::string& key) {
  auto r = fx.cmd({"HGETALL", key});
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
    out[r.elements[i].str] = r.elements[i + 1].str;
  return out;
}

inline std::map<std::string, std::string> core_of(valkey_fixture& fx, const execution_id& eid) {
  return hash_of(fx, lk::exec_core_key(eid));
}

// The score of `member`, or nullopt when absent.
inline std::optional<std::int64_t> score_of(valkey_fixture& fx, const std::string& key,
                                            const std::string& member) {
  auto r = fx.cmd({"ZSCORE", key, member});
  if (!r.is_string())
    return std::nullopt;
  return static_cast<std::int64_t>(std::stod(r.str));
}

inline bool in_set(valkey_fixture& fx, const std::string& key, const std::string& member) {
  return fx.cmd({"SISMEMBER", key, member}).integer == 1;
}

// The same, for an execution as an index member (its text).
inline std::optional<std::int64_t> score_of(valkey_fixture& fx, const std::string& key,
                                            const execution_id& member) {
  return score_of(fx, key, member.value);
}
inline bool in_set(valkey_fixture& fx, const std::string& key, const execution_id& member) {
  return in_set(fx, key, member.value);
}

// execution-model.md §3.3.
inline std::string derived_public_state(const std::map<std::string, std::string>& core) {
  const std::string& lp = core.at("lifecycle_phase");
  if (lp == "terminal") {
    static const std::map<std::string, std::string> by_outcome = {
        {"success", "completed"}, {"failed", "failed"}, {"cancelled", "cancelled"},
        {"expired", "expired"},   {"skipped", "skipped"}};
    auto it = by_outcome.find(core.at("terminal_outcome"));
    return it == by_outcome.end() ? "failed" : it->second;
  }
  if (lp == "suspended" || lp == "active")
    return lp;
  const std::string& es = core.at("eligibility_state");
  if (es == "not_eligible_until_time")
    return "delayed";
  if (es == "blocked_by_dependencies")
    return "waiting_children";
  if (es == "blocked_by_budget" || es == "blocked_by_quota")
    return "rate_limited";
  return "waiting";
}

// Reads the core, checks the stored public_state against the derivation
// (reads derive it, so only the raw hash shows a stale label), returns it.
inline std::map<std::string, std::string> consistent_core(valkey_fixture& fx,
                                                          const execution_id& eid) {
  auto core = core_of(fx, eid);
  REQUIRE_MESSAGE(!core.empty(), "no exec_core for " << eid);
  CHECK_MESSAGE(core.at("public_state") == derived_public_state(core),
                "public_state " << core.at("public_state") << " in phase "
                                << core.at("lifecycle_phase"));
  return core;
}

inline std::map<std::string, std::string> waitpoint_of(valkey_fixture& fx, const execution_id& eid,
                                                       const std::string& wpid) {
  return hash_of(fx, lk::waitpoint_hash_key(tag_of(eid), wpid));
}

inline std::map<std::string, std::string> suspension_of(valkey_fixture& fx,
                                                        const execution_id& eid) {
  return hash_of(fx, lk::suspension_current_key(eid));
}

// The claim ARGV after the execution id (valkey_lifecycle.cpp claim_args).
inline std::vector<std::string> claim_argv(const claim_execution_args& a) {
  return {a.worker_id, a.worker_instance_id, a.lane_id, a.lease_id, a.attempt_id,
          std::to_string(a.lease_ttl_ms), ""};
}

} // namespace ff::test
