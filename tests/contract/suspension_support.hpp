#pragma once
// Suspend / deliver request builders with node-minted ids and tokens, for
// any fixture with a `backend` pointer (as lifecycle_support.hpp).

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/suspension.hpp"
#include "core/waitpoint_token.hpp"
#include "tests/contract/lifecycle_support.hpp"

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
inline std::string mint(const execution_id& eid, const std::string& wpid) {
  return mint(eid.value, wpid);
}

// A fresh waitpoint per key (ids and tokens minted as the node does).
inline std::vector<waitpoint_request> fresh_waitpoints(const execution_id& eid,
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
  a.execution_id = typed_id(l.execution_id);
  a.fence = fence_of(l);
  a.suspension_id = new_uuid();
  a.waitpoints = fresh_waitpoints(a.execution_id, keys);
  a.resume_condition_json = condition;
  return a;
}

inline std::string single_on(const std::string& key, const std::string& name = "") {
  if (name.empty())
    return R"({"type":"single","waitpoint_key":")" + key + R"(","signal_name":null})";
  return R"({"type":"single","waitpoint_key":")" + key + R"(","signal_name":")" + name + "\"}";
}

template <class Fx>
suspend_outcome suspend_ok(Fx& fx, const suspend_args& a) {
  auto r = fx.backend->suspend_execution(a);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

inline deliver_signal_args signal_request(const execution_id& eid, const std::string& wpid,
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

template <class Fx>
deliver_signal_outcome deliver_ok(Fx& fx, const deliver_signal_args& s) {
  auto r = fx.backend->deliver_signal(s);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

// An execution created, acquired and suspended on fresh waitpoints.
struct suspended_execution {
  execution_id eid;
  claimed_lease lease;
  suspend_args request;
  suspend_outcome outcome;

  const std::string& wp(std::size_t i) const { return outcome.waitpoints.at(i).waitpoint_id; }
};

template <class Fx>
suspended_execution create_and_suspend(Fx& fx, const std::vector<std::string>& keys,
                                       const std::string& condition, std::int64_t timeout_at = 0,
                                       const std::string& behavior = "fail",
                                       std::uint16_t partition = 7) {
  suspended_execution s;
  s.eid = create(fx, partition);
  s.lease = acquire_lease(fx, s.eid);
  s.request = suspend_request(s.lease, keys, condition);
  s.request.timeout_at = timeout_at;
  s.request.timeout_behavior = behavior;
  s.outcome = suspend_ok(fx, s.request);
  REQUIRE(s.outcome.status == suspend_status::suspended);
  return s;
}

// Every pending or active waitpoint of an execution, all pages.
template <class Fx>
std::vector<pending_waitpoint_info> open_waitpoints(Fx& fx, const execution_id& eid) {
  std::vector<pending_waitpoint_info> all;
  list_pending_waitpoints_args a;
  a.execution_id = eid;
  a.limit = 100;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = fx.backend->list_pending_waitpoints(a);
    REQUIRE_MESSAGE(page.has_value(), (page ? "" : page.error().text()));
    all.insert(all.end(), page->waitpoints.begin(), page->waitpoints.end());
    if (page->next_cursor.empty())
      return all;
    a.cursor = page->next_cursor;
  }
  FAIL("list_pending_waitpoints: more than 10 pages");
  return all;
}

// The state of one open waitpoint ("pending" or "active"), "" when it is
// not listed (closed or unknown).
template <class Fx>
std::string waitpoint_state(Fx& fx, const execution_id& eid, const std::string& wpid) {
  for (const auto& w : open_waitpoints(fx, eid))
    if (w.waitpoint_id == wpid)
      return w.state;
  return "";
}

// A pending waitpoint on `l`'s execution, its token minted by test_ring().
inline create_pending_waitpoint_args pending_request(const claimed_lease& l,
                                                     const std::string& key,
                                                     std::int64_t expires_at = 0) {
  create_pending_waitpoint_args a;
  a.execution_id = typed_id(l.execution_id);
  a.fence = fence_of(l);
  a.waitpoint_id = new_uuid();
  a.waitpoint_key = key;
  a.waitpoint_token = mint(l.execution_id, a.waitpoint_id);
  a.expires_at = expires_at;
  return a;
}

template <class Fx>
waitpoint_binding pending_ok(Fx& fx, const create_pending_waitpoint_args& a) {
  auto r = fx.backend->create_pending_waitpoint(a);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

// The suspend entry that activates pending waitpoint `waitpoint_id`.
inline waitpoint_request activate(const std::string& waitpoint_id) {
  waitpoint_request w;
  w.waitpoint_id = waitpoint_id;
  w.activate_pending = true;
  return w;
}

} // namespace ff::test
