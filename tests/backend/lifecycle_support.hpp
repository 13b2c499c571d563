#pragma once
// Helpers for the lifecycle tests: create / acquire shortcuts, raw reads of
// exec_core and indexes, and the public-state derivation every stored state
// must satisfy (execution-model.md §3.3, decisions.md §3).

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "tests/backend/valkey_fixture.hpp"

namespace ff::test {

namespace lk = ff::valkey_keys;

inline std::string new_uuid() { return uuid::random_v4().str(); }

inline std::string tag_of(const std::string& eid) { return lk::tag_of(eid); }

inline std::map<std::string, std::string> hash_of(valkey_fixture& fx, const std::string& key) {
  auto r = fx.cmd({"HGETALL", key});
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
    out[r.elements[i].str] = r.elements[i + 1].str;
  return out;
}

inline std::map<std::string, std::string> core_of(valkey_fixture& fx, const std::string& eid) {
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

// Reads the core, checks public_state against the derivation, returns it.
inline std::map<std::string, std::string> consistent_core(valkey_fixture& fx,
                                                          const std::string& eid) {
  auto core = core_of(fx, eid);
  REQUIRE_MESSAGE(!core.empty(), "no exec_core for " << eid);
  CHECK_MESSAGE(core.at("public_state") == derived_public_state(core),
                "public_state " << core.at("public_state") << " in phase "
                                << core.at("lifecycle_phase"));
  return core;
}

inline std::string create(valkey_fixture& fx, std::uint16_t partition = 7,
                          const std::string& lane = "default", const std::string& policy = "{}",
                          std::int32_t priority = 0, const std::string& caps = "") {
  auto a = sample_create_args(partition, lane);
  a.policy_json = policy;
  a.priority = priority;
  a.required_capabilities = caps;
  auto r = fx.backend->create_execution(a);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  REQUIRE(r->created);
  return a.execution_id;
}

inline acquire_args acquire_request(std::uint16_t partition, const std::string& lane,
                                    const std::string& instance, const std::string& caps = "",
                                    std::int64_t ttl_ms = 30'000) {
  acquire_args a;
  a.partition = partition;
  a.lane_id = lane;
  a.worker_id = "pool-" + instance;
  a.worker_instance_id = instance;
  a.worker_capabilities = caps;
  a.lease_id = new_uuid();
  a.attempt_id = new_uuid();
  a.lease_ttl_ms = ttl_ms;
  return a;
}

inline acquire_outcome acquire(valkey_fixture& fx, std::uint16_t partition,
                               const std::string& lane, const std::string& instance,
                               const std::string& caps = "", std::int64_t ttl_ms = 30'000) {
  auto r = fx.backend->acquire_next_in_lane(acquire_request(partition, lane, instance, caps, ttl_ms));
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

// Acquires and requires a lease on `eid`.
inline claimed_lease acquire_lease(valkey_fixture& fx, const std::string& eid,
                                   const std::string& instance = "w1",
                                   std::int64_t ttl_ms = 30'000) {
  auto got = acquire(fx, execution_id::parse(eid)->partition, core_of(fx, eid).at("lane_id"),
                     instance, "", ttl_ms);
  REQUIRE(got.acquired);
  REQUIRE(got.lease.execution_id == eid);
  return got.lease;
}

inline lease_fence fence_of(const claimed_lease& l) {
  lease_fence f;
  f.lease_id = l.lease_id;
  f.lease_epoch = l.lease_epoch;
  f.attempt_index = l.attempt_index;
  return f;
}

inline complete_args complete_request(const claimed_lease& l, std::string result = "done") {
  complete_args c;
  c.execution_id = l.execution_id;
  c.fence = fence_of(l);
  c.result = std::move(result);
  return c;
}

inline fail_args fail_request(const claimed_lease& l, std::string reason = "boom",
                              bool retryable = true) {
  fail_args f;
  f.execution_id = l.execution_id;
  f.fence = fence_of(l);
  f.failure_reason = std::move(reason);
  f.failure_category = "test";
  f.retryable = retryable;
  return f;
}

inline scan_args scan(std::uint16_t partition, std::int64_t now,
                      std::vector<std::string> lanes = {"default"}) {
  scan_args s;
  s.partition = partition;
  s.now_ms = now;
  s.limit = 50;
  s.lanes = std::move(lanes);
  return s;
}

// The error code of a failed result ("" when it succeeded).
template <class T>
std::string error_code(const expected<T>& r) {
  return r.has_value() ? std::string() : r.error().code;
}

} // namespace ff::test
