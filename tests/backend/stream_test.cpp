// Attempt output streams against a real redis-server: append rules,
// retention, the summary merge patch, range reads and blocking tails.

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <thread>

#include "tests/backend/lifecycle_support.hpp"

using namespace ff;
using namespace ff::test;

namespace {

append_frame_args frame_for(const claimed_lease& l, std::string payload,
                            std::string type = "stdout") {
  append_frame_args f;
  f.execution_id = l.execution_id;
  f.fence = fence_of(l);
  f.frame_type = std::move(type);
  f.payload = std::move(payload);
  return f;
}

append_frame_outcome append_ok(valkey_fixture& fx, const append_frame_args& f) {
  auto r = fx.backend->append_frame(f);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

std::string summary_document(valkey_fixture& fx, const std::string& eid) {
  return fx.cmd({"HGET", lk::attempt_summary_key(eid, 0), "document"}).str;
}

} // namespace

TEST_CASE("append checks the lease, the payload size and the stream state") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);

  auto first = append_ok(fx, frame_for(l, "one"));
  CHECK(first.frame_count == 1);
  auto meta = hash_of(fx, lk::stream_meta_key(eid, 0));
  CHECK(meta["execution_id"] == eid);
  CHECK(meta["attempt_id"] == l.attempt_id);
  CHECK(meta["frame_count"] == "1");
  CHECK(meta["total_bytes"] == "3");
  CHECK(meta["last_sequence"] == first.entry_id);
  CHECK(meta["has_durable_frame"] == "1");
  CHECK(meta["closed_at"].empty());

  auto stale = frame_for(l, "x");
  stale.fence.lease_epoch = 9;
  CHECK(error_code(fx.backend->append_frame(stale)) == "stale_owner_cannot_append");
  auto wrong_attempt = frame_for(l, "x");
  wrong_attempt.fence.attempt_index = 1;
  CHECK(error_code(fx.backend->append_frame(wrong_attempt)) == "stale_owner_cannot_append");
  auto big = frame_for(l, std::string(70'000, 'a'));
  CHECK(error_code(fx.backend->append_frame(big)) == "retention_limit_exceeded");
  auto untyped = frame_for(l, "x", "");
  CHECK(error_code(fx.backend->append_frame(untyped)) == "invalid_frame_type");
  auto unfenced = frame_for(l, "x");
  unfenced.fence = {};
  CHECK(error_code(fx.backend->append_frame(unfenced)) == "fence_required");
  CHECK(fx.cmd({"XLEN", lk::stream_key(eid, 0)}).integer == 1);

  REQUIRE(fx.backend->complete_execution(complete_request(l)).has_value());
  auto closed = fx.backend->append_frame(frame_for(l, "after"));
  REQUIRE_FALSE(closed.has_value());
  CHECK(closed.error().code == "stream_closed");
  CHECK(closed.error().kind == error_kind::state);
}

TEST_CASE("durable retention, best-effort expiry and the excluding read") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);
  const std::string stream = lk::stream_key(eid, 0);

  auto be = frame_for(l, "tick");
  be.mode = "best_effort";
  be.ttl_ms = 5000;
  append_ok(fx, be);
  const auto pttl = fx.cmd({"PTTL", stream}).integer;
  CHECK(pttl > 0);
  CHECK(pttl <= 10'000);

  auto durable = frame_for(l, "kept");
  durable.retention_maxlen = 2;
  append_ok(fx, durable);
  CHECK(fx.cmd({"PTTL", stream}).integer == -1); // a durable frame persists the stream
  append_ok(fx, durable);
  append_ok(fx, durable);
  CHECK(fx.cmd({"XLEN", stream}).integer == 2);
  CHECK(hash_of(fx, lk::stream_meta_key(eid, 0))["frame_count"] == "4");

  append_ok(fx, be);
  read_stream_args read;
  read.execution_id = eid;
  auto all = fx.backend->read_attempt_stream(read);
  REQUIRE(all.has_value());
  // The exact bound kept two durable frames; the best-effort one came after.
  REQUIRE(all->frames.size() == 3);
  CHECK(all->frames[2].fields.at("mode") == "best_effort");
  CHECK(all->frames[2].fields.at("ttl_ms") == "5000");
  read.exclude_best_effort = true;
  auto durable_only = fx.backend->read_attempt_stream(read);
  REQUIRE(durable_only.has_value());
  REQUIRE(durable_only->frames.size() == 2);
  CHECK(durable_only->frames[0].fields.at("mode") == "durable");
  CHECK(durable_only->closed_at == 0);
  CHECK(durable_only->closed_reason.empty());

  read.exclude_best_effort = false;
  read.from = all->frames[1].id;
  read.count = 1;
  auto ranged = fx.backend->read_attempt_stream(read);
  REQUIRE(ranged.has_value());
  REQUIRE(ranged->frames.size() == 1);
  CHECK(ranged->frames[0].id == all->frames[1].id);

  read.count = 0;
  CHECK(error_code(fx.backend->read_attempt_stream(read)) == "invalid_input");
  read.count = 10;
  // rest-api.md §3.15: a stream never written reads empty and open,
  // whether or not its execution exists.
  read.execution_id = execution_id::mint(7).value;
  auto never = fx.backend->read_attempt_stream(read);
  REQUIRE(never.has_value());
  CHECK(never->frames.empty());
  CHECK(never->closed_at == 0);
}

TEST_CASE("summary patches merge as JSON merge patch with versions") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);

  auto f = frame_for(l, "", "summary");
  f.summary_patch = R"({"a":1,"b":{"c":2},"keep":"x"})";
  CHECK(append_ok(fx, f).summary_version == 1);
  f.summary_patch = R"({"a":null,"b":{"d":3},"n":"__ff_null__"})";
  CHECK(append_ok(fx, f).summary_version == 2);
  auto doc = summary_document(fx, eid);
  CHECK(doc.find("\"a\"") == std::string::npos);
  CHECK(doc.find("\"c\":2") != std::string::npos);
  CHECK(doc.find("\"d\":3") != std::string::npos);
  CHECK(doc.find("\"keep\":\"x\"") != std::string::npos);
  CHECK(doc.find("\"n\":null") != std::string::npos);
  auto summary = hash_of(fx, lk::attempt_summary_key(eid, 0));
  CHECK(summary["version"] == "2");
  CHECK(summary["patch_kind"] == "json-merge-patch");
  CHECK_FALSE(summary["first_applied_ms"].empty());

  f.summary_patch = "[1,2]";
  CHECK(error_code(fx.backend->append_frame(f)) == "invalid_input");
  f.summary_patch = "not json";
  CHECK(error_code(fx.backend->append_frame(f)) == "invalid_input");
  CHECK(hash_of(fx, lk::attempt_summary_key(eid, 0))["version"] == "2");
}

TEST_CASE("tail returns a frame that arrives during the block") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);
  auto first = append_ok(fx, frame_for(l, "before"));

  // The tail blocks on a connection of its own.
  auto tail_backend = make_valkey_backend(options_for(fx.server));
  tail_stream_args t;
  t.execution_id = eid;
  t.after_id = first.entry_id;
  t.block_ms = 5000;
  const auto started = std::chrono::steady_clock::now();
  auto pending = std::async(std::launch::async, [&] { return tail_backend->tail_attempt_stream(t); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(pending.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
  auto second = append_ok(fx, frame_for(l, "during"));
  auto got = pending.get();
  const auto waited = std::chrono::steady_clock::now() - started;
  REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().text()));
  REQUIRE(got->frames.size() == 1);
  CHECK(got->frames[0].id == second.entry_id);
  CHECK(got->frames[0].fields.at("payload") == "during");
  CHECK(got->closed_at == 0);
  CHECK(waited < std::chrono::milliseconds(4000));

  // From the start, without blocking: both frames.
  t.after_id = "0-0";
  t.block_ms = 0;
  auto both = tail_backend->tail_attempt_stream(t);
  REQUIRE(both.has_value());
  CHECK(both->frames.size() == 2);

  // A closed stream answers at once with its marker.
  REQUIRE(fx.backend->complete_execution(complete_request(l)).has_value());
  t.after_id = second.entry_id;
  t.block_ms = 5000;
  const auto closed_start = std::chrono::steady_clock::now();
  auto closed = tail_backend->tail_attempt_stream(t);
  REQUIRE(closed.has_value());
  CHECK(closed->frames.empty());
  CHECK(closed->closed_reason == "attempt_success");
  CHECK(closed->closed_at > 0);
  CHECK(std::chrono::steady_clock::now() - closed_start < std::chrono::milliseconds(1000));
}

TEST_CASE("a tail with nothing new times out empty; bad cursors are refused") {
  valkey_fixture fx;
  const std::string eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);
  auto first = append_ok(fx, frame_for(l, "only"));

  tail_stream_args t;
  t.execution_id = eid;
  t.after_id = first.entry_id;
  t.block_ms = 400;
  const auto started = std::chrono::steady_clock::now();
  auto empty = fx.backend->tail_attempt_stream(t);
  const auto waited = std::chrono::steady_clock::now() - started;
  REQUIRE_MESSAGE(empty.has_value(), (empty ? "" : empty.error().text()));
  CHECK(empty->frames.empty());
  CHECK(empty->closed_at == 0);
  CHECK(waited >= std::chrono::milliseconds(350));
  // The connection still serves ordinary calls afterwards.
  CHECK(append_ok(fx, frame_for(l, "next")).frame_count == 2);

  t.after_id = "start";
  CHECK(error_code(fx.backend->tail_attempt_stream(t)) == "invalid_input");
  t.after_id = "0-0";
  t.block_ms = 30'001;
  CHECK(error_code(fx.backend->tail_attempt_stream(t)) == "invalid_input");
  t.block_ms = 0;
  t.execution_id = execution_id::mint(7).value;
  auto never = fx.backend->tail_attempt_stream(t);
  REQUIRE(never.has_value());
  CHECK(never->frames.empty());
  CHECK(never->closed_at == 0);
}
