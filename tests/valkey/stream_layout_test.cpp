// Attempt streams on the Valkey layout: the stream key, its meta hash, its
// TTL (best-effort frames) and MAXLEN, the summary document.

#include <doctest/doctest.h>

#include "tests/valkey/store_support.hpp"

using namespace ff;
using namespace ff::test;

namespace {

std::string summary_document(valkey_fixture& fx, const std::string& eid) {
  return fx.cmd({"HGET", lk::attempt_summary_key(eid, 0), "document"}).str;
}

} // namespace

TEST_CASE("the stream meta hash; refused appends write no entry") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);

  auto first = append_ok(fx, frame_for(l, "one"));
  auto meta = hash_of(fx, lk::stream_meta_key(eid, 0));
  CHECK(meta["execution_id"] == eid.value);
  CHECK(meta["attempt_id"] == l.attempt_id);
  CHECK(meta["frame_count"] == "1");
  CHECK(meta["total_bytes"] == "3");
  CHECK(meta["last_sequence"] == first.entry_id);
  CHECK(meta["has_durable_frame"] == "1");
  CHECK(meta["closed_at"].empty());

  auto stale = frame_for(l, "x");
  stale.fence.lease_epoch = 9;
  REQUIRE_FALSE(fx.backend->append_frame(stale).has_value());
  auto big = frame_for(l, std::string(70'000, 'a'));
  REQUIRE_FALSE(fx.backend->append_frame(big).has_value());
  CHECK(fx.cmd({"XLEN", lk::stream_key(eid, 0)}).integer == 1);
  CHECK(hash_of(fx, lk::stream_meta_key(eid, 0))["frame_count"] == "1");

  REQUIRE(fx.backend->complete_execution(complete_request(l)).has_value());
  CHECK_FALSE(hash_of(fx, lk::stream_meta_key(eid, 0))["closed_at"].empty());
}

TEST_CASE("best-effort frames expire the stream key; a durable frame persists it; MAXLEN") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
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
}

TEST_CASE("summary patches merge into the stored document as JSON merge patch") {
  valkey_fixture fx;
  const auto eid = create(fx, 7);
  auto l = acquire_lease(fx, eid);

  auto f = frame_for(l, "", "summary");
  f.summary_patch = R"({"a":1,"b":{"c":2},"keep":"x"})";
  append_ok(fx, f);
  f.summary_patch = R"({"a":null,"b":{"d":3},"n":"__ff_null__"})";
  append_ok(fx, f);
  auto doc = summary_document(fx, eid.value);
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
  REQUIRE_FALSE(fx.backend->append_frame(f).has_value());
  f.summary_patch = "not json";
  REQUIRE_FALSE(fx.backend->append_frame(f).has_value());
  CHECK(hash_of(fx, lk::attempt_summary_key(eid, 0))["version"] == "2");
  CHECK(summary_document(fx, eid.value) == doc);
}
