// Attempt output streams: append rules, retention, the summary merge patch
// versions, range reads and blocking tails.

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <thread>

#include "tests/contract/backend_factory.hpp"
#include "tests/contract/lifecycle_support.hpp"

using namespace ff;
using namespace ff::test;

CONTRACT_TEST("append checks the lease, the payload size and the stream state") {
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);

  auto first = append_ok(fx, frame_for(l, "one"));
  CHECK(first.frame_count == 1);
  CHECK_FALSE(first.entry_id.empty());

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
  // Only the first frame was written.
  auto frames = read_stream(fx, eid);
  REQUIRE(frames.frames.size() == 1);
  CHECK(frames.frames[0].id == first.entry_id);
  CHECK(frames.frames[0].fields.at("payload") == "one");
  CHECK(frames.closed_at == 0);

  REQUIRE(fx.backend->complete_execution(complete_request(l)).has_value());
  auto closed = fx.backend->append_frame(frame_for(l, "after"));
  REQUIRE_FALSE(closed.has_value());
  CHECK(closed.error().code == "stream_closed");
  CHECK(closed.error().kind == error_kind::state);
  CHECK(read_stream(fx, eid).frames.size() == 1);
}

CONTRACT_TEST("durable retention, best-effort frames and the excluding read") {
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);

  auto be = frame_for(l, "tick");
  be.mode = "best_effort";
  be.ttl_ms = 5000;
  CHECK(append_ok(fx, be).frame_count == 1);

  auto durable = frame_for(l, "kept");
  durable.retention_maxlen = 2;
  CHECK(append_ok(fx, durable).frame_count == 2);
  CHECK(append_ok(fx, durable).frame_count == 3);
  CHECK(append_ok(fx, durable).frame_count == 4);
  // The exact bound keeps the last two.
  CHECK(read_stream(fx, eid).frames.size() == 2);

  CHECK(append_ok(fx, be).frame_count == 5);
  read_stream_args read;
  read.execution_id = eid;
  auto all = fx.backend->read_attempt_stream(read);
  REQUIRE(all.has_value());
  // The exact bound kept two durable frames; the best-effort one came after.
  REQUIRE(all->frames.size() == 3);
  CHECK(all->frames[0].fields.at("mode") == "durable");
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
  read.execution_id = execution_id::mint(7);
  auto never = fx.backend->read_attempt_stream(read);
  REQUIRE(never.has_value());
  CHECK(never->frames.empty());
  CHECK(never->closed_at == 0);
}

CONTRACT_TEST("summary patches are versioned; a patch that is not an object is refused") {
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);

  auto f = frame_for(l, "", "summary");
  f.summary_patch = R"({"a":1,"b":{"c":2},"keep":"x"})";
  CHECK(append_ok(fx, f).summary_version == 1);
  f.summary_patch = R"({"a":null,"b":{"d":3},"n":"__ff_null__"})";
  CHECK(append_ok(fx, f).summary_version == 2);
  // A frame without a patch applies none (summary_version 0).
  CHECK(append_ok(fx, frame_for(l, "plain")).summary_version == 0);

  f.summary_patch = "[1,2]";
  CHECK(error_code(fx.backend->append_frame(f)) == "invalid_input");
  f.summary_patch = "not json";
  CHECK(error_code(fx.backend->append_frame(f)) == "invalid_input");
  // The refused patches did not count.
  f.summary_patch = R"({"z":1})";
  CHECK(append_ok(fx, f).summary_version == 3);
}

CONTRACT_TEST("tail returns a frame that arrives during the block") {
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);
  auto first = append_ok(fx, frame_for(l, "before"));

  // The tail blocks on a connection of its own.
  auto tail_backend = fx.connect();
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

CONTRACT_TEST("a tail with nothing new times out empty; bad cursors are refused") {
  const auto eid = create(fx, 7);
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
  t.execution_id = execution_id::mint(7);
  auto never = fx.backend->tail_attempt_stream(t);
  REQUIRE(never.has_value());
  CHECK(never->frames.empty());
  CHECK(never->closed_at == 0);
}
