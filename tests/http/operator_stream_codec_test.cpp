// Decoding and encoding of the operator routes (rest-api.md §3.8, §3.10-
// §3.13) and the stream reads (§3.15, §3.16, §2.5).

#include <doctest/doctest.h>

#include "http/codecs/operator_actions_codec.hpp"
#include "http/codecs/stream_read_codec.hpp"
#include "http/json_codec.hpp"

using namespace ff;

namespace {

constexpr const char* eid3 = "{fp:3}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21";
constexpr const char* other = "{fp:3}:0b6e1d7c-5a4f-4e3d-8c2b-1a0f9e8d7c6b";

rapidjson::Document json(const std::string& text) {
  rapidjson::Document doc;
  std::string reason;
  INFO(text);
  REQUIRE_MESSAGE(parse_json_text(text, doc, &reason), reason);
  return doc;
}

route_params exec_path(const std::string& id = eid3, const std::string& idx = {}) {
  route_params p{{{"id", id, true}}};
  if (!idx.empty()) p.values.push_back({"idx", idx, true});
  return p;
}

std::string unprocessable(const std::string& detail) {
  return R"({"error":"invalid JSON: Unprocessable Entity","kind":"invalid_input","detail":")" +
         detail + "\"}";
}
std::string bad(const std::string& error, const std::string& kind = "invalid_input") {
  return R"({"error":")" + error + R"(","kind":")" + kind + "\"}";
}

template <class D>
void check_error(const D& d, unsigned status, const std::string& body) {
  REQUIRE_FALSE(d.args);
  CHECK(d.error.status == status);
  CHECK(d.error.body == body);
}

std::string cancel_body(const std::string& id, const std::string& extra = {}) {
  std::string body = R"({"execution_id":")" + id + R"(","reason":"no longer needed","now":1700000000000)";
  if (!extra.empty()) body += "," + extra;
  return body + "}";
}

std::string reclaim_body(const std::string& fields) { return "{" + fields + "}"; }

} // namespace

TEST_CASE("cancel body (rest-api.md §3.8)") {
  auto cancel = [](const std::string& body, const std::string& path_id = eid3) {
    return decode_cancel(exec_path(path_id), json(body));
  };
  auto ok = cancel(cancel_body(eid3));
  REQUIRE(ok);
  CHECK(ok.args->partition == 3);
  CHECK(ok.args->args.execution_id.value == eid3);
  CHECK(ok.args->args.reason == "no longer needed");
  CHECK(ok.args->args.source == "operator_override");
  CHECK(ok.args->args.fence.empty());

  auto holder = cancel(cancel_body(eid3, R"("source":"lease_holder","lease_id":"9F8E7D6C-5B4A-4392-8170-6F5E4D3C2B1A",)"
                                         R"("lease_epoch":3,"attempt_id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")"));
  REQUIRE(holder);
  CHECK(holder.args->args.source == "lease_holder");
  CHECK(holder.args->args.fence.lease_id == "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a");
  CHECK(holder.args->args.fence.lease_epoch == 3);
  CHECK(holder.args->args.fence.attempt_id == "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d");
  CHECK(cancel(cancel_body(eid3, R"("source":"custom-source")"))->args.source == "custom-source");

  check_error(cancel(R"({"reason":"r","now":1})"), 422, unprocessable("execution_id: missing required field"));
  check_error(cancel(R"({"execution_id":"nope","reason":"r","now":1})"), 422,
              unprocessable("execution_id: invalid execution id: must start with {fp:"));
  check_error(cancel(std::string(R"({"execution_id":")") + eid3 + R"(","now":1})"), 422,
              unprocessable("reason: missing required field"));
  check_error(cancel(std::string(R"({"execution_id":")") + eid3 + R"(","reason":"r"})"), 422,
              unprocessable("now: missing required field"));
  check_error(cancel(cancel_body(eid3, R"("lease_id":"x")")), 422, unprocessable("lease_id: expected a UUID"));
  check_error(cancel(cancel_body(eid3, R"("lease_epoch":-1)")), 422,
              unprocessable("lease_epoch: expected a non-negative integer (u64)"));
  // body decode → path id → id match
  check_error(cancel(cancel_body(other), "nope"), 400, bad("invalid execution_id: must start with {fp:"));
  check_error(cancel(cancel_body(other)), 400, bad("path execution_id does not match body execution_id"));
}

TEST_CASE("priority body (rest-api.md §3.10)") {
  auto priority = [](const std::string& body, const std::string& path_id = eid3) {
    return decode_change_priority(exec_path(path_id), json(body));
  };
  auto ok = priority(R"({"new_priority":7})");
  REQUIRE(ok);
  CHECK(ok.args->partition == 3);
  CHECK(ok.args->args.execution_id.value == eid3);
  CHECK(ok.args->args.priority == 7);
  CHECK(priority(R"({"new_priority":20000})")->args.priority == 9000);
  CHECK(priority(R"({"new_priority":-5})")->args.priority == 0);
  check_error(priority("{}"), 422, unprocessable("new_priority: missing required field"));
  check_error(priority(R"({"new_priority":"5"})"), 422,
              unprocessable("new_priority: expected an integer in the i32 range"));
  check_error(priority(R"({"new_priority":2147483648})"), 422,
              unprocessable("new_priority: expected an integer in the i32 range"));
  check_error(priority(R"({"new_priority":1})", "x"), 400, bad("invalid execution_id: must start with {fp:"));
}

TEST_CASE("reclaim body (rest-api.md §3.13)") {
  auto reclaim = [](const std::string& fields, const std::string& path_id = eid3) {
    return decode_reclaim(exec_path(path_id), json(reclaim_body(fields)));
  };
  auto ok = reclaim(R"("worker_id":"w","worker_instance_id":"i","lane_id":"default","grant_ttl_ms":5000,)"
                    R"("capability_hash":"h","route_snapshot_json":"{}","admission_summary":"s",)"
                    R"("worker_capabilities":["b","a","b"])");
  REQUIRE(ok);
  const auto& a = ok.args->args;
  CHECK(ok.args->partition == 3);
  CHECK(a.execution_id.value == eid3);
  CHECK(a.worker_id == "w");
  CHECK(a.worker_instance_id == "i");
  CHECK(a.lane_id == "default");
  CHECK(a.grant_ttl_ms == 5000);
  CHECK(a.capability_hash == "h");
  CHECK(a.route_snapshot_json == "{}");
  CHECK(a.admission_summary == "s");
  CHECK(a.worker_capabilities == "a,b");

  check_error(reclaim(R"("worker_instance_id":"i","lane_id":"l","grant_ttl_ms":1)"), 422,
              unprocessable("worker_id: missing required field"));
  check_error(reclaim(R"("worker_id":"w","worker_instance_id":"i","lane_id":"l")"), 422,
              unprocessable("grant_ttl_ms: missing required field"));
  // Check order: execution id, worker_id, worker_instance_id, lane_id, grant_ttl_ms.
  const std::string all_bad = R"("worker_id":"","worker_instance_id":"","lane_id":"","grant_ttl_ms":0)";
  check_error(reclaim(all_bad, "x"), 400, bad("invalid execution_id: must start with {fp:"));
  check_error(reclaim(all_bad), 400, bad("worker_id: must not be empty"));
  check_error(reclaim(R"("worker_id":"w","worker_instance_id":"a b","lane_id":"","grant_ttl_ms":0)"), 400,
              bad("worker_instance_id: must not contain whitespace or control characters"));
  check_error(reclaim(R"("worker_id":"w","worker_instance_id":"i","lane_id":")" + std::string(65, 'x') +
                      R"(","grant_ttl_ms":0)"),
              400, bad("lane_id: lane_id exceeds 64 bytes (got 65)"));
  check_error(reclaim(R"("worker_id":"w","worker_instance_id":"i","lane_id":"l","grant_ttl_ms":0)"), 400,
              bad("grant_ttl_ms must be in 1..=60000"));
  check_error(reclaim(R"("worker_id":"w","worker_instance_id":"i","lane_id":"l","grant_ttl_ms":60001)"), 400,
              bad("grant_ttl_ms must be in 1..=60000"));
  check_error(reclaim(R"("worker_id":"w","worker_instance_id":"i","lane_id":"l","grant_ttl_ms":1,)"
                      R"("worker_capabilities":[""])"),
              400, bad("invalid_capabilities: worker:empty_token", "invalid_capabilities"));
}

TEST_CASE("operator answers") {
  CHECK(encode_cancelled(eid3) ==
        std::string(R"({"Cancelled":{"execution_id":")") + eid3 + R"(","public_state":"cancelled"}})");
  CHECK(encode_priority_changed(eid3) == std::string(R"({"Changed":{"execution_id":")") + eid3 + "\"}}");
  CHECK(encode_replayed({public_state_kind::waiting, 1}) ==
        R"({"Replayed":{"public_state":"waiting"}})");
  CHECK(encode_replayed({public_state_kind::waiting_children, 1}) ==
        R"({"Replayed":{"public_state":"waiting_children"}})");

  revoke_outcome revoked;
  revoked.revoked = true;
  revoked.lease_id = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
  revoked.lease_epoch = 18446744073709551615ull;
  CHECK(encode_revoke_outcome(revoked) ==
        R"({"Revoked":{"lease_id":"9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a","lease_epoch":"18446744073709551615"}})");
  revoke_outcome none;
  none.already_satisfied = "already_expired";
  CHECK(encode_revoke_outcome(none) == R"({"AlreadySatisfied":{"reason":"already_expired"}})");

  reclaim_grant_outcome granted;
  granted.status = reclaim_grant_status::granted;
  granted.grant = {eid3, "{fp:3}", "ff:exec:{fp:3}:x:claim_grant", 1700000000000, "main"};
  CHECK(encode_reclaim_outcome(granted, eid3) ==
        std::string(R"({"status":"granted","execution_id":")") + eid3 +
            R"(","partition_key":"{fp:3}","grant_key":"ff:exec:{fp:3}:x:claim_grant",)"
            R"("expires_at_ms":1700000000000,"lane_id":"main"})");
  reclaim_grant_outcome refused;
  refused.status = reclaim_grant_status::not_reclaimable;
  refused.detail = "capability_mismatch: gpu";
  CHECK(encode_reclaim_outcome(refused, eid3) ==
        std::string(R"({"status":"not_reclaimable","execution_id":")") + eid3 +
            R"(","detail":"capability_mismatch: gpu"})");
  reclaim_grant_outcome capped;
  capped.status = reclaim_grant_status::reclaim_cap_exceeded;
  capped.reclaim_count = 1000;
  CHECK(encode_reclaim_outcome(capped, eid3) ==
        std::string(R"({"status":"reclaim_cap_exceeded","execution_id":")") + eid3 +
            R"(","reclaim_count":1000})");
}

TEST_CASE("stream cursor grammar") {
  auto form = [](std::string_view s) { return parse_stream_cursor(s)->form; };
  CHECK(form("start") == cursor_form::start);
  CHECK(form("end") == cursor_form::end);
  CHECK(parse_stream_cursor("1713100800150")->id == "1713100800150");
  CHECK(parse_stream_cursor("1713100800150-7")->id == "1713100800150-7");
  CHECK(parse_stream_cursor("0-0")->form == cursor_form::concrete);
  CHECK(parse_stream_cursor("18446744073709551615-18446744073709551615"));
  for (std::string_view bad_cursor : {"", "-", "+", "START", "1-", "-1", "1-2-3", "1a", "1 -2",
                                      "+1", "18446744073709551616", "1-x"}) {
    CAPTURE(bad_cursor);
    CHECK_FALSE(parse_stream_cursor(bad_cursor));
  }
}

TEST_CASE("stream range read query (rest-api.md §3.15)") {
  auto read = [](const std::string& query, const std::string& idx = "2",
                 const std::string& id = eid3) {
    return decode_read_stream(exec_path(id, idx), query);
  };
  auto defaults = read("");
  REQUIRE(defaults);
  CHECK(defaults.args->partition == 3);
  CHECK(defaults.args->args.execution_id.value == eid3);
  CHECK(defaults.args->args.attempt_index == 2);
  CHECK(defaults.args->args.from == "-");
  CHECK(defaults.args->args.to == "+");
  CHECK(defaults.args->args.count == 100);
  CHECK_FALSE(defaults.args->args.exclude_best_effort);

  auto explicit_range = read("from=start&to=end&limit=1000");
  REQUIRE(explicit_range);
  CHECK(explicit_range.args->args.from == "-");
  CHECK(explicit_range.args->args.to == "+");
  CHECK(explicit_range.args->args.count == 1000);
  auto ids = read("from=1713100800150-1&to=1713100800999&limit=1&from=start");
  REQUIRE(ids);
  CHECK(ids.args->args.from == "1713100800150-1"); // the first occurrence wins
  CHECK(ids.args->args.to == "1713100800999");
  CHECK(ids.args->args.count == 1);

  const std::string decode_prefix = "Failed to deserialize query string: ";
  check_error(read("from=-"), 400,
              bad(decode_prefix + "from: invalid stream cursor `-` (expected start, end, <ms> or <ms>-<seq>)"));
  check_error(read("to=%2B"), 400,
              bad(decode_prefix + "to: invalid stream cursor `+` (expected start, end, <ms> or <ms>-<seq>)"));
  check_error(read("from="), 400,
              bad(decode_prefix + "from: invalid stream cursor `` (expected start, end, <ms> or <ms>-<seq>)"));
  check_error(read("limit=abc"), 400, bad(decode_prefix + "limit: expected a non-negative integer (u64)"));
  check_error(read("limit=0"), 400, bad("limit must be >= 1"));
  check_error(read("limit=1001"), 400,
              bad("limit exceeds REST ceiling 1000; paginate via from/to for larger spans"));
  check_error(read("a=%zz"), 400, bad(decode_prefix + "malformed percent-encoding"));
  // Order: path, query decode, limit checks, execution id.
  check_error(read("limit=0", "x"), 400, bad("Invalid URL: Cannot parse `x` to a `u32`"));
  check_error(read("limit=0&from=x", "1"), 400,
              bad(decode_prefix + "from: invalid stream cursor `x` (expected start, end, <ms> or <ms>-<seq>)"));
  check_error(read("limit=0", "1", "nope"), 400, bad("limit must be >= 1"));
  check_error(read("", "1", "nope"), 400, bad("invalid execution_id: must start with {fp:"));
}

TEST_CASE("stream tail query (rest-api.md §3.16)") {
  auto tail = [](const std::string& query, const std::string& idx = "0",
                 const std::string& id = eid3) {
    return decode_tail_stream(exec_path(id, idx), query);
  };
  auto defaults = tail("");
  REQUIRE(defaults);
  CHECK(defaults.args->partition == 3);
  CHECK(defaults.args->args.execution_id.value == eid3);
  CHECK(defaults.args->args.after_id == "0-0");
  CHECK(defaults.args->args.block_ms == 0);
  CHECK(defaults.args->args.count == 50);
  auto set = tail("after=1713100800150-3&block_ms=30000&limit=1000");
  REQUIRE(set);
  CHECK(set.args->args.after_id == "1713100800150-3");
  CHECK(set.args->args.block_ms == 30000);
  CHECK(set.args->args.count == 1000);
  CHECK(tail("after=1713100800150")->args.after_id == "1713100800150");

  const std::string decode_prefix = "Failed to deserialize query string: ";
  const std::string concrete =
      "after: XREAD cursor must be a concrete entry id; pass '0-0' to start from the beginning";
  check_error(tail("after=start"), 400, bad(concrete));
  check_error(tail("after=end"), 400, bad(concrete));
  check_error(tail("after=-"), 400,
              bad(decode_prefix + "after: invalid stream cursor `-` (expected start, end, <ms> or <ms>-<seq>)"));
  check_error(tail("block_ms=x"), 400, bad(decode_prefix + "block_ms: expected a non-negative integer (u64)"));
  check_error(tail("block_ms=30001"), 400, bad("block_ms exceeds 30000ms ceiling"));
  check_error(tail("limit=0"), 400, bad("limit must be >= 1"));
  check_error(tail("limit=1001"), 400,
              bad("limit exceeds REST ceiling 1000; paginate via after for larger spans"));
  // Order: block_ms, limit, after, execution id.
  check_error(tail("block_ms=30001&limit=0&after=start", "0", "nope"), 400,
              bad("block_ms exceeds 30000ms ceiling"));
  check_error(tail("limit=0&after=start", "0", "nope"), 400, bad("limit must be >= 1"));
  check_error(tail("after=start", "0", "nope"), 400, bad(concrete));
  check_error(tail("", "0", "nope"), 400, bad("invalid execution_id: must start with {fp:"));
  check_error(tail("block_ms=30001", "-1"), 400, bad("Invalid URL: Cannot parse `-1` to a `u32`"));
}

TEST_CASE("StreamFrames answer (rest-api.md §2.5)") {
  stream_frames open;
  CHECK(encode_stream_frames(open) == R"({"frames":[],"count":0})");

  stream_frames closed;
  closed.frames.push_back({"1713100800150-0",
                           {{"ts", "1713100800150"}, {"frame_type", "stdout"}, {"payload", "hi"},
                            {"mode", "durable"}, {"encoding", "utf8"}, {"source", "worker"}}});
  closed.frames.push_back({"1713100800151-0", {{"frame_type", "event"}, {"payload", "\xff"}}});
  closed.closed_at = 1713100801000;
  closed.closed_reason = "attempt_success";
  CHECK(encode_stream_frames(closed) ==
        R"({"frames":[{"id":"1713100800150-0","fields":{"encoding":"utf8","frame_type":"stdout",)"
        R"("mode":"durable","payload":"hi","source":"worker","ts":"1713100800150"}},)"
        R"({"id":"1713100800151-0","fields":{"frame_type":"event","payload":")" "\xef\xbf\xbd" R"("}}],)"
        R"("count":2,"closed_at":1713100801000,"closed_reason":"attempt_success"})");
}
