#pragma once
// Helpers for the suspension and signal tests: suspend / deliver request
// builders with node-minted ids and tokens, and raw reads of waitpoints and
// suspensions.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/suspension.hpp"
#include "core/waitpoint_token.hpp"
#include "tests/backend/lifecycle_support.hpp"

namespace ff::test {

inline hmac_ring test_ring() {
  hmac_ring r;
  r.current_kid = "k1";
  r.kids["k1"] = {"000102030405060708090a0b0c0d0e0f", 0};
  return r;
}

inline std::string mint(const std::string& eid, const std::string& wpid) {
  auto t = mint_waitpoint_token(test_ring(), eid, wpid);
  REQUIRE(t.has_value());
  return *t;
}

// A fresh waitpoint per key (ids and tokens minted as the node does).
inline std::vector<waitpoint_request> fresh_waitpoints(const std::string& eid,
                                                       const std::vector<std::string>& keys) {
  std::vector<waitpoint_request> out;
  for (const auto& key : keys) {
    waitpoint_request w;
    w.waitpoint_id = new_uuid();
    w.waitpoint_key = key;
    w.waitpoint_token = mint(eid, w.waitpoint_id);
    out.push_back(std::move(w));
  }
  return out;
}

inline suspend_args suspend_request(const claimed_lease& l, const std::vector<std::string>& keys,
                                    const std::string& condition) {
  suspend_args a;
  a.execution_id = l.execution_id;
  a.fence = fence_of(l);
  a.suspension_id = new_uuid();
  a.waitpoints = fresh_waitpoints(l.execution_id, keys);
  a.resume_condition_json = condition;
  return a;
}

inline std::string single_on(const std::string& key, const std::string& name = "") {
  if (name.empty())
    return R"({"type":"single","waitpoint_key":")" + key + R"(","signal_name":null})";
  return R"({"type":"single","waitpoint_key":")" + key + R"(","signal_name":")" + name + "\"}";
}

inline suspend_outcome suspend_ok(valkey_fixture& fx, const suspend_args& a) {
  auto r = fx.backend->suspend_execution(a);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

inline deliver_signal_args signal_request(const std::string& eid, const std::string& wpid,
                                          const std::string& name = "approve",
                                          const std::string& source = "alice") {
  deliver_signal_args s;
  s.execution_id = eid;
  s.waitpoint_id = wpid;
  s.signal_id = new_uuid();
  s.signal_name = name;
  s.signal_category = "approval";
  s.source_type = "user";
  s.source_identity = source;
  s.payload = R"({"by":")" + source + "\"}";
  return s;
}

inline deliver_signal_outcome deliver_ok(valkey_fixture& fx, const deliver_signal_args& s) {
  auto r = fx.backend->deliver_signal(s);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

inline std::map<std::string, std::string> waitpoint_of(valkey_fixture& fx, const std::string& eid,
                                                       const std::string& wpid) {
  return hash_of(fx, lk::waitpoint_hash_key(tag_of(eid), wpid));
}

inline std::map<std::string, std::string> suspension_of(valkey_fixture& fx,
                                                        const std::string& eid) {
  return hash_of(fx, lk::suspension_current_key(eid));
}

// An execution created, acquired and suspended on fresh waitpoints.
struct suspended_execution {
  std::string eid;
  claimed_lease lease;
  suspend_args request;
  suspend_outcome outcome;

  const std::string& wp(std::size_t i) const { return outcome.waitpoints.at(i).waitpoint_id; }
};

inline suspended_execution create_and_suspend(valkey_fixture& fx,
                                              const std::vector<std::string>& keys,
                                              const std::string& condition,
                                              std::int64_t timeout_at = 0,
                                              const std::string& behavior = "fail",
                                              std::uint16_t partition = 7) {
  suspended_execution s;
  s.eid = create(fx, partition);
  s.lease = acquire_lease(fx, s.eid);
  s.request = suspend_request(s.lease, keys, condition);
  s.request.timeout_at = timeout_at;
  s.request.timeout_behavior = behavior;
  s.outcome = suspend_ok(fx, s.request);
  REQUIRE(s.outcome.status == "suspended");
  return s;
}

} // namespace ff::test
