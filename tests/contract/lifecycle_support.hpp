#pragma once
// Request builders and shortcuts over engine_backend for the lifecycle
// tests. They take any fixture with a `backend` pointer, so the contract
// suite and the store-layout suites (tests/valkey) share them.

#include <doctest/doctest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "backends/engine_backend.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace ff::test {

inline std::string new_uuid() { return uuid::random_v4().str(); }

// The typed id of an execution id read back as text (a lease, a grant).
inline execution_id typed_id(const std::string& text) {
  auto id = execution_id::parse(text);
  REQUIRE_MESSAGE(id.has_value(), "not an execution id: " << text);
  return *id;
}

// The boot options every test prepares its store with.
inline backend_boot_options default_boot_options() {
  backend_boot_options b;
  b.lanes = {"default", "gpu"};
  return b;
}

// A retry policy: two retries, a minute apart.
inline constexpr const char* two_fixed_retries =
    R"({"retry_policy":{"max_retries":2,"backoff":{"type":"fixed","delay_ms":60000}}})";

// A valid create request on `partition` with every optional field empty.
inline create_execution_args sample_create_args(std::uint16_t partition = 7,
                                                std::string lane = "default") {
  create_execution_args a;
  a.execution_id = execution_id::mint(partition);
  a.namespace_name = "tenant-a";
  a.lane_id = std::move(lane);
  a.execution_kind = "send_email";
  a.input_payload = R"({"to":"a@example.com"})";
  a.payload_encoding = "json";
  a.priority = 5;
  a.creator_identity = "tester";
  return a;
}

// The error code of a failed result ("" when it succeeded).
template <class T>
std::string error_code(const expected<T>& r) {
  return r.has_value() ? std::string() : r.error().code;
}

// The execution as get_execution reads it; get_execution_state agrees.
template <class Fx>
execution_info info_of(Fx& fx, const execution_id& eid) {
  auto info = fx.backend->get_execution(eid);
  REQUIRE_MESSAGE(info.has_value(), (info ? "" : info.error().text()));
  auto state = fx.backend->get_execution_state(eid);
  REQUIRE_MESSAGE(state.has_value(), (state ? "" : state.error().text()));
  CHECK(*state == info->state.public_state);
  return *info;
}

template <class Fx>
std::string public_state_of(Fx& fx, const execution_id& eid) {
  return info_of(fx, eid).state.public_state;
}

// The same helpers for an id read back as text.
template <class Fx>
execution_info info_of(Fx& fx, const std::string& eid) {
  return info_of(fx, typed_id(eid));
}
template <class Fx>
std::string public_state_of(Fx& fx, const std::string& eid) {
  return public_state_of(fx, typed_id(eid));
}

// Every field of an execution as one line, to compare two reads.
inline std::string describe(const execution_info& i) {
  std::ostringstream out;
  out << i.execution_id << '|' << i.namespace_name << '|' << i.lane_id << '|' << i.priority
      << '|' << i.execution_kind << '|' << i.state.lifecycle_phase << '|'
      << i.state.ownership_state << '|' << i.state.eligibility_state << '|'
      << i.state.blocking_reason << '|' << i.state.terminal_outcome << '|'
      << i.state.attempt_state << '|' << i.state.public_state << '|' << i.created_at << '|'
      << i.started_at << '|' << i.completed_at << '|' << i.current_attempt_index << '|'
      << i.flow_id << '|' << i.blocking_detail << '|' << i.last_error_code << '|'
      << i.last_error_message << '|' << i.last_error_details << '|' << i.progress_pct << '|'
      << i.progress_message << '|' << i.cancel_reason;
  return out.str();
}

template <class Fx>
execution_id create(Fx& fx, std::uint16_t partition = 7, const std::string& lane = "default",
                   const std::string& policy = "{}", std::int32_t priority = 0,
                   const std::string& caps = "") {
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

template <class Fx>
acquire_outcome acquire(Fx& fx, std::uint16_t partition, const std::string& lane,
                        const std::string& instance, const std::string& caps = "",
                        std::int64_t ttl_ms = 30'000) {
  auto r = fx.backend->acquire_next_in_lane(acquire_request(partition, lane, instance, caps, ttl_ms));
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

// Acquires and requires a lease on `eid`.
template <class Fx>
claimed_lease acquire_lease(Fx& fx, const execution_id& eid, const std::string& instance = "w1",
                            std::int64_t ttl_ms = 30'000) {
  auto info = fx.backend->get_execution(eid);
  REQUIRE_MESSAGE(info.has_value(), (info ? "" : info.error().text()));
  auto got = acquire(fx, eid.partition, info->lane_id, instance, "", ttl_ms);
  REQUIRE(got.acquired);
  REQUIRE(got.lease.execution_id == eid.value);
  return got.lease;
}

template <class Fx>
claimed_lease acquire_lease(Fx& fx, const std::string& eid, const std::string& instance = "w1",
                            std::int64_t ttl_ms = 30'000) {
  return acquire_lease(fx, typed_id(eid), instance, ttl_ms);
}

// A claim of `eid` for `instance` (worker_id "pool-<instance>", as
// acquire_request and grant_next_in_lane requests name it).
inline claim_execution_args claim_request(const execution_id& eid, const std::string& instance,
                                          const std::string& lane = "default") {
  claim_execution_args c;
  c.execution_id = eid;
  c.worker_id = "pool-" + instance;
  c.worker_instance_id = instance;
  c.lane_id = lane;
  c.lease_id = new_uuid();
  c.attempt_id = new_uuid();
  return c;
}

inline claim_execution_args claim_request(const std::string& eid, const std::string& instance,
                                          const std::string& lane = "default") {
  return claim_request(typed_id(eid), instance, lane);
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
  c.execution_id = typed_id(l.execution_id);
  c.fence = fence_of(l);
  c.result = std::move(result);
  return c;
}

inline fail_args fail_request(const claimed_lease& l, std::string reason = "boom",
                              bool retryable = true) {
  fail_args f;
  f.execution_id = typed_id(l.execution_id);
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

inline append_frame_args frame_for(const claimed_lease& l, std::string payload,
                                   std::string type = "stdout") {
  append_frame_args f;
  f.execution_id = typed_id(l.execution_id);
  f.fence = fence_of(l);
  f.frame_type = std::move(type);
  f.payload = std::move(payload);
  return f;
}

template <class Fx>
append_frame_outcome append_ok(Fx& fx, const append_frame_args& f) {
  auto r = fx.backend->append_frame(f);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

template <class Fx>
stream_frames read_stream(Fx& fx, const execution_id& eid, std::uint32_t attempt_index = 0) {
  read_stream_args read;
  read.execution_id = eid;
  read.attempt_index = attempt_index;
  auto r = fx.backend->read_attempt_stream(read);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

template <class Fx>
stream_frames read_stream(Fx& fx, const std::string& eid, std::uint32_t attempt_index = 0) {
  return read_stream(fx, typed_id(eid), attempt_index);
}

template <class Fx>
create_execution_outcome create_ok(Fx& fx, const create_execution_args& a) {
  auto r = fx.backend->create_execution(a);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

template <class Fx>
fail_outcome fail_ok(Fx& fx, const fail_args& f) {
  auto r = fx.backend->fail_execution(f);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

} // namespace ff::test
