// Decoding and encoding of the worker routes (decisions.md §5/§5.1).

#include <doctest/doctest.h>

#include "http/codecs/executions_claim_codec.hpp"
#include "http/codecs/lease_ops_codec.hpp"
#include "http/codecs/stream_append_codec.hpp"
#include "http/codecs/workers_dispatch_codec.hpp"
#include "http/json_codec.hpp"

using namespace ff;

namespace {

constexpr const char* eid3 = "{fp:3}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21";
constexpr const char* lease_uuid = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

rapidjson::Document json(const std::string& text) {
  rapidjson::Document doc;
  std::string reason;
  INFO(text);
  REQUIRE_MESSAGE(parse_json_text(text, doc, &reason), reason);
  return doc;
}

route_params worker_path(const std::string& worker_id = "worker-1") {
  return route_params{{{"worker_id", worker_id, true}}};
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

// A fence body fragment plus extra members.
std::string fenced(const std::string& extra = {}, std::uint32_t attempt_index = 0) {
  std::string body = std::string(R"({"lease_id":")") + lease_uuid +
                     R"(","lease_epoch":4,"attempt_index":)" + std::to_string(attempt_index);
  if (!extra.empty()) body += "," + extra;
  return body + "}";
}

} // namespace

TEST_CASE("identifier rule of worker ids (rest-api.md §3.13)") {
  CHECK(identifier_problem("worker_id", "worker-gpu-1").empty());
  CHECK(identifier_problem("worker_id", "pod-\xc3\xa9").empty()); // non-ASCII letters are fine
  CHECK(identifier_problem("worker_id", "") == "worker_id: must not be empty");
  CHECK(identifier_problem("worker_id", std::string(256, 'a')).empty());
  CHECK(identifier_problem("worker_id", std::string(257, 'a')) ==
        "worker_id: exceeds 256 bytes (got 257)");
  const char* ws = "worker_id: must not contain whitespace or control characters";
  CHECK(identifier_problem("worker_id", "a b") == ws);
  CHECK(identifier_problem("worker_id", "a\tb") == ws);
  CHECK(identifier_problem("worker_id", "a\x7f") == ws);
  CHECK(identifier_problem("worker_id", "a\xc2\xa0" "b") == ws);     // U+00A0
  CHECK(identifier_problem("worker_id", "a\xc2\x85") == ws);         // U+0085 (NEL)
  CHECK(identifier_problem("worker_id", "a\xe3\x80\x80") == ws);     // U+3000
  CHECK(identifier_problem("worker_id", "a\xe2\x80\xa8") == ws);     // U+2028
  CHECK(identifier_problem("worker_id", "a\xff") == "worker_id: must be valid UTF-8");
}

TEST_CASE("LaneId rule") {
  CHECK(lane_id_problem("default").empty());
  CHECK(lane_id_problem("with space ~").empty());
  CHECK(lane_id_problem("") == "lane_id is empty");
  CHECK(lane_id_problem(std::string(64, 'x')).empty());
  CHECK(lane_id_problem(std::string(65, 'x')) == "lane_id exceeds 64 bytes (got 65)");
  CHECK(lane_id_problem("ab\tc") == "lane_id contains non-ASCII-printable byte at index 2");
  CHECK(lane_id_problem("\xc3\xa9") == "lane_id contains non-ASCII-printable byte at index 0");
}

TEST_CASE("worker capabilities: de-duplicated, sorted, validated") {
  CHECK(*worker_capabilities_csv({}) == "");
  CHECK(*worker_capabilities_csv({"gpu", "cpu", "gpu"}) == "cpu,gpu");
  auto code = [](std::vector<std::string> caps) {
    auto r = worker_capabilities_csv(std::move(caps));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "invalid_capabilities");
    return r.error().detail;
  };
  CHECK(code({""}) == "worker:empty_token");
  CHECK(code({"a,b"}) == "worker:comma_in_token");
  CHECK(code({"a b"}) == "worker:control_or_whitespace");
  CHECK(code({"a\x01"}) == "worker:control_or_whitespace");
  std::vector<std::string> many;
  for (int i = 0; i < 257; ++i) many.push_back("c" + std::to_string(i));
  CHECK(code(many) == "worker:too_many_tokens");
  many.resize(256);
  CHECK(worker_capabilities_csv(many)); // exactly 256
  std::vector<std::string> same(300, "x");
  CHECK(*worker_capabilities_csv(same) == "x"); // counted after de-duplication
  std::vector<std::string> long_tokens;
  for (int i = 0; i < 200; ++i) long_tokens.push_back(std::string(25, 'a') + std::to_string(1000 + i));
  CHECK(code(long_tokens) == "worker:too_many_bytes");
}

TEST_CASE("acquire body") {
  auto ok = decode_acquire(worker_path(),
                           json(R"({"lane_id":"default","worker_instance_id":"pod-1",)"
                                R"("capabilities":["gpu","cpu","gpu"],"lease_ttl_ms":5000,"wait_ms":250})"));
  REQUIRE(ok);
  CHECK(ok.args->dispatch.worker_id == "worker-1");
  CHECK(ok.args->dispatch.worker_instance_id == "pod-1");
  CHECK(ok.args->dispatch.lane_id == "default");
  CHECK(ok.args->dispatch.worker_capabilities == "cpu,gpu");
  CHECK(ok.args->dispatch.lease_ttl_ms == 5000);
  CHECK(ok.args->dispatch.wait_ms == 250);
  CHECK(ok.args->max_tasks == 0); // the reference's one-lease answer

  auto defaults = decode_acquire(worker_path(), json(R"({"lane_id":"l","worker_instance_id":"i"})"));
  REQUIRE(defaults);
  CHECK(defaults.args->dispatch.lease_ttl_ms == 30000);
  CHECK(defaults.args->dispatch.wait_ms == 0);
  CHECK(defaults.args->dispatch.worker_capabilities.empty());
  auto nulls = decode_acquire(worker_path(), json(R"({"lane_id":"l","worker_instance_id":"i",)"
                                                  R"("capabilities":null,"wait_ms":null})"));
  CHECK(nulls);

  auto decode = [](const std::string& body, const std::string& worker = "worker-1") {
    return decode_acquire(worker_path(worker), json(body));
  };
  SUBCASE("shape errors are 422 naming the field") {
    check_error(decode(R"({"worker_instance_id":"i"})"), 422,
                unprocessable("lane_id: missing required field"));
    check_error(decode(R"({"lane_id":7,"worker_instance_id":"i"})"), 422,
                unprocessable("lane_id: expected a string"));
    check_error(decode(R"({"lane_id":"l"})"), 422,
                unprocessable("worker_instance_id: missing required field"));
    check_error(decode(R"({"lane_id":"l","worker_instance_id":"i","capabilities":"gpu"})"), 422,
                unprocessable("capabilities: expected an array of strings"));
    check_error(decode(R"({"lane_id":"l","worker_instance_id":"i","capabilities":[1]})"), 422,
                unprocessable("capabilities[0]: expected a string"));
    check_error(decode(R"({"lane_id":"l","worker_instance_id":"i","lease_ttl_ms":-1})"), 422,
                unprocessable("lease_ttl_ms: expected a non-negative integer (u64)"));
    check_error(decode(R"({"lane_id":"l","worker_instance_id":"i","wait_ms":"5"})"), 422,
                unprocessable("wait_ms: expected a non-negative integer (u64)"));
    // Shape before the path's identifier rule.
    check_error(decode(R"({"worker_instance_id":"i"})", "bad id"), 422,
                unprocessable("lane_id: missing required field"));
  }
  SUBCASE("checks are 400, in order") {
    check_error(decode(R"({"lane_id":"","worker_instance_id":""})", "bad id"), 400,
                bad("worker_id: must not contain whitespace or control characters"));
    check_error(decode(R"({"lane_id":"","worker_instance_id":""})"), 400,
                bad("worker_instance_id: must not be empty"));
    check_error(decode(R"({"lane_id":"","worker_instance_id":"i","lease_ttl_ms":1})"), 400,
                bad("lane_id: lane_id is empty"));
    check_error(decode(R"({"lane_id":"l","worker_instance_id":"i","lease_ttl_ms":999,"wait_ms":40000})"),
                400, bad("lease_ttl_ms must be in 1000..=3600000"));
    check_error(decode(R"({"lane_id":"l","worker_instance_id":"i","lease_ttl_ms":3600001})"), 400,
                bad("lease_ttl_ms must be in 1000..=3600000"));
    CHECK(decode(R"({"lane_id":"l","worker_instance_id":"i","lease_ttl_ms":1000})"));
    CHECK(decode(R"({"lane_id":"l","worker_instance_id":"i","lease_ttl_ms":3600000})"));
    check_error(decode(R"({"lane_id":"l","worker_instance_id":"i","wait_ms":30001,"capabilities":[""]})"),
                400, bad("wait_ms exceeds 30000ms ceiling"));
    CHECK(decode(R"({"lane_id":"l","worker_instance_id":"i","wait_ms":30000})"));
    check_error(decode(R"({"lane_id":"l","worker_instance_id":"i","capabilities":["a b"]})"), 400,
                bad("invalid_capabilities: worker:control_or_whitespace", "invalid_capabilities"));
    check_error(decode(R"({"lane_id":"l","worker_instance_id":"i"})", ""), 400,
                bad("worker_id: must not be empty"));
  }
}

TEST_CASE("claim (grant) body: rest-api.md §3.14 plus wait_ms") {
  auto decode = [](const std::string& body) {
    return decode_claim_grant(worker_path(), json(body));
  };
  auto ok = decode(R"({"lane_id":"default","worker_instance_id":"i","grant_ttl_ms":5000,)"
                   R"("capabilities":["b","a"],"wait_ms":1000})");
  REQUIRE(ok);
  CHECK(ok.args->grant_ttl_ms == 5000);
  CHECK(ok.args->wait_ms == 1000);
  CHECK(ok.args->worker_capabilities == "a,b");
  CHECK(decode(R"({"lane_id":"l","worker_instance_id":"i","grant_ttl_ms":1})"));
  CHECK(decode(R"({"lane_id":"l","worker_instance_id":"i","grant_ttl_ms":60000})"));

  check_error(decode(R"({"lane_id":"l","worker_instance_id":"i"})"), 422,
              unprocessable("grant_ttl_ms: missing required field"));
  check_error(decode(R"({"lane_id":"l","worker_instance_id":"i","grant_ttl_ms":0})"), 400,
              bad("grant_ttl_ms must be in 1..=60000"));
  check_error(decode(R"({"lane_id":"l","worker_instance_id":"i","grant_ttl_ms":60001})"), 400,
              bad("grant_ttl_ms must be in 1..=60000"));
  // lane_id before grant_ttl_ms
  check_error(decode(R"({"lane_id":"","worker_instance_id":"i","grant_ttl_ms":0})"), 400,
              bad("lane_id: lane_id is empty"));
  check_error(decode(R"({"lane_id":"l","worker_instance_id":"i","grant_ttl_ms":5,"wait_ms":30001})"),
              400, bad("wait_ms exceeds 30000ms ceiling"));
}

TEST_CASE("heartbeat body") {
  auto decode = [](const std::string& body) {
    return decode_heartbeat(worker_path(), json(body), 1700000000000);
  };
  auto ok = decode(R"({"worker_instance_id":"pod-1"})");
  REQUIRE(ok);
  CHECK(ok.args->worker_id == "worker-1");
  CHECK(ok.args->namespace_name == "default");
  CHECK(ok.args->lanes.empty());
  CHECK(ok.args->capabilities.empty());
  CHECK(ok.args->ttl_ms == 60000);
  CHECK(ok.args->now_ms == 1700000000000);

  auto full = decode(R"({"worker_instance_id":"pod-1","namespace":"ns","lanes":["b","a","b"],)"
                     R"("capabilities":["z","y"],"ttl_ms":1000})");
  REQUIRE(full);
  CHECK(full.args->namespace_name == "ns");
  CHECK(full.args->lanes == std::vector<std::string>{"a", "b"});
  CHECK(full.args->capabilities == "y,z");
  CHECK(full.args->ttl_ms == 1000);

  check_error(decode("{}"), 422, unprocessable("worker_instance_id: missing required field"));
  check_error(decode(R"({"worker_instance_id":"i","lanes":"a"})"), 422,
              unprocessable("lanes: expected an array of strings"));
  check_error(decode(R"({"worker_instance_id":" "})"), 400,
              bad("worker_instance_id: must not contain whitespace or control characters"));
  check_error(decode(R"({"worker_instance_id":"i","namespace":""})"), 400,
              bad("namespace: must not be empty"));
  check_error(decode(R"({"worker_instance_id":"i","lanes":["a",""]})"), 400,
              bad("lanes[1]: lane_id is empty"));
  check_error(decode(R"({"worker_instance_id":"i","ttl_ms":999})"), 400,
              bad("ttl_ms must be in 1000..=3600000"));
  check_error(decode(R"({"worker_instance_id":"i","ttl_ms":3600001})"), 400,
              bad("ttl_ms must be in 1000..=3600000"));
  check_error(decode(R"({"worker_instance_id":"i","capabilities":["a,b"]})"), 400,
              bad("invalid_capabilities: worker:comma_in_token", "invalid_capabilities"));
}

TEST_CASE("executions/{id}/claim body") {
  auto decode = [](const std::string& body, const std::string& id = eid3) {
    return decode_claim_execution(exec_path(id), json(body));
  };
  auto ok = decode(R"({"worker_id":"w","worker_instance_id":"i","lane_id":"default"})");
  REQUIRE(ok);
  CHECK(ok.args->partition == 3);
  CHECK(ok.args->args.execution_id.value == eid3);
  CHECK(ok.args->args.worker_id == "w");
  CHECK(ok.args->args.worker_instance_id == "i");
  CHECK(ok.args->args.lane_id == "default");
  CHECK(ok.args->args.lease_ttl_ms == 30000);
  CHECK(ok.args->args.lease_id.empty()); // minted by the handler

  check_error(decode(R"({"worker_instance_id":"i","lane_id":"l"})"), 422,
              unprocessable("worker_id: missing required field"));
  check_error(decode(R"({"worker_id":"w","worker_instance_id":"i","lane_id":"l"})", "nope"), 400,
              bad("invalid execution_id: must start with {fp:"));
  check_error(decode(R"({"worker_id":"","worker_instance_id":"","lane_id":""})"), 400,
              bad("worker_id: must not be empty"));
  check_error(decode(R"({"worker_id":"w","worker_instance_id":"","lane_id":""})"), 400,
              bad("worker_instance_id: must not be empty"));
  check_error(decode(R"({"worker_id":"w","worker_instance_id":"i","lane_id":""})"), 400,
              bad("lane_id: lane_id is empty"));
  check_error(decode(R"({"worker_id":"w","worker_instance_id":"i","lane_id":"l","lease_ttl_ms":5})"),
              400, bad("lease_ttl_ms must be in 1000..=3600000"));
}

TEST_CASE("the fence: missing or wrong-typed fields are 422 naming the field") {
  auto renew = [](const std::string& body, const std::string& id = eid3) {
    return decode_renew(exec_path(id), json(body));
  };
  auto ok = renew(fenced(R"("lease_ttl_ms":2000,"attempt_id":"A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D")", 2));
  REQUIRE(ok);
  CHECK(ok.args->partition == 3);
  CHECK(ok.args->args.execution_id.value == eid3);
  CHECK(ok.args->args.fence.lease_id == lease_uuid);
  CHECK(ok.args->args.fence.lease_epoch == 4);
  CHECK(ok.args->args.fence.attempt_index == 2);
  CHECK(ok.args->args.fence.attempt_id == "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"); // canonical
  CHECK(ok.args->args.lease_ttl_ms == 2000);
  CHECK(renew(fenced())->args.lease_ttl_ms == 30000);
  // Other UUID spellings of the lease id reach the store in canonical form.
  auto simple = renew(R"({"lease_id":"9F8E7D6C5B4A439281706F5E4D3C2B1A","lease_epoch":1,"attempt_index":0})");
  REQUIRE(simple);
  CHECK(simple.args->args.fence.lease_id == lease_uuid);

  check_error(renew(R"({"lease_epoch":1,"attempt_index":0})"), 422,
              unprocessable("lease_id: missing required field"));
  check_error(renew(R"({"lease_id":null,"lease_epoch":1,"attempt_index":0})"), 422,
              unprocessable("lease_id: missing required field"));
  check_error(renew(R"({"lease_id":7,"lease_epoch":1,"attempt_index":0})"), 422,
              unprocessable("lease_id: expected a string"));
  check_error(renew(R"({"lease_id":"nope","lease_epoch":1,"attempt_index":0})"), 422,
              unprocessable("lease_id: expected a UUID"));
  check_error(renew(std::string(R"({"lease_id":")") + lease_uuid + R"(","attempt_index":0})"), 422,
              unprocessable("lease_epoch: missing required field"));
  check_error(renew(std::string(R"({"lease_id":")") + lease_uuid + R"(","lease_epoch":"4","attempt_index":0})"),
              422, unprocessable("lease_epoch: expected a non-negative integer (u64)"));
  check_error(renew(std::string(R"({"lease_id":")") + lease_uuid + R"(","lease_epoch":4})"), 422,
              unprocessable("attempt_index: missing required field"));
  check_error(renew(std::string(R"({"lease_id":")") + lease_uuid +
                    R"(","lease_epoch":4,"attempt_index":4294967296})"),
              422, unprocessable("attempt_index: expected an integer in 0..4294967295 (u32)"));
  check_error(renew(fenced(R"("attempt_id":"x")")), 422, unprocessable("attempt_id: expected a UUID"));
  check_error(renew(fenced(R"("lease_ttl_ms":true)")), 422,
              unprocessable("lease_ttl_ms: expected a non-negative integer (u64)"));
  // Shape first, then the path id, then ranges.
  check_error(renew(R"({"lease_epoch":1,"attempt_index":0})", "nope"), 422,
              unprocessable("lease_id: missing required field"));
  check_error(renew(fenced(R"("lease_ttl_ms":5)"), "nope"), 400,
              bad("invalid execution_id: must start with {fp:"));
  check_error(renew(fenced(R"("lease_ttl_ms":999)")), 400,
              bad("lease_ttl_ms must be in 1000..=3600000"));
  check_error(renew(fenced(), "{fp:3}:not-a-uuid"), 400, bad("invalid execution_id: suffix is not a UUID"));
}

TEST_CASE("complete: result forms") {
  auto complete = [](const std::string& extra) {
    return decode_complete(exec_path(), json(fenced(extra)));
  };
  auto result_of = [&](const std::string& extra) {
    auto d = complete(extra);
    REQUIRE(d);
    return d.args->args.result;
  };
  CHECK(result_of("").empty());
  CHECK(result_of(R"("result":null)").empty());
  CHECK(result_of(R"("result":"aGVsbG8=")") == "hello");
  CHECK(result_of(R"("result":"aGVsbG8")") == "hello"); // padding optional
  CHECK(result_of(R"("result":"AP8=")") == std::string("\0\xff", 2));
  CHECK(result_of(R"("result":"")").empty());
  CHECK(result_of(R"("result":"aGVsbG8=","result_encoding":"base64")") == "hello");
  CHECK(result_of(R"("result":"h\u00e9llo","result_encoding":"utf8")") == "h\xc3\xa9llo");
  CHECK(result_of(R"("result":{"ok": true, "n": [1, 2]})") == R"({"ok":true,"n":[1,2]})");
  CHECK(result_of(R"("result":[1, "a"])") == R"([1,"a"])");
  CHECK(result_of(R"("result":42)") == "42");
  CHECK(result_of(R"("result":false)") == "false");
  auto d = complete(R"("result":"aGk=")");
  REQUIRE(d);
  CHECK(d.args->args.source == "worker");
  CHECK(d.args->args.fence.lease_id == lease_uuid);

  const auto not_base64 = bad("invalid_input: result is not valid base64");
  check_error(complete(R"("result":"a")"), 400, not_base64);
  check_error(complete(R"("result":"!!!!")"), 400, not_base64);
  check_error(complete(R"("result":"aGVsbG8=x")"), 400, not_base64);
  check_error(complete(R"("result":"aGVsbG9=")"), 400, not_base64); // non-zero trailing bits
  check_error(complete(R"("result":"aGVs bG8=")"), 400, not_base64);
  check_error(complete(R"("result":"x","result_encoding":"hex")"), 422,
              unprocessable(R"(result_encoding: expected \"base64\" or \"utf8\")"));
  check_error(complete(R"("result_encoding":1)"), 422,
              unprocessable("result_encoding: expected a string"));
}

TEST_CASE("fail: error object and retryable") {
  auto fail = [](const std::string& extra) {
    return decode_fail(exec_path(), json(fenced(extra)));
  };
  auto ok = fail(R"("error":{"code":"upstream_timeout","message":"took too long","details":{"x":1}})");
  REQUIRE(ok);
  CHECK(ok.args->args.failure_category == "upstream_timeout");
  CHECK(ok.args->args.failure_reason == "took too long");
  CHECK(ok.args->args.retryable);
  auto terminal = fail(R"("error":{"code":"c","message":"m"},"retryable":false)");
  REQUIRE(terminal);
  CHECK_FALSE(terminal.args->args.retryable);

  check_error(fail(""), 422, unprocessable("error: missing required field"));
  check_error(fail(R"("error":"boom")"), 422,
              unprocessable("error: expected an object {code, message, details?}"));
  check_error(fail(R"("error":{})"), 422, unprocessable("error.code: missing required field"));
  check_error(fail(R"("error":{"code":"c"})"), 422, unprocessable("error.message: missing required field"));
  check_error(fail(R"("error":{"code":1,"message":"m"})"), 422, unprocessable("error.code: expected a string"));
  check_error(fail(R"("error":{"code":"c","message":"m"},"retryable":"no")"), 422,
              unprocessable("retryable: expected true or false"));
  // A bad nested field is a shape error, reported before the path id.
  auto bad_path = decode_fail(exec_path("nope"), json(fenced(R"("error":{})")));
  check_error(bad_path, 422, unprocessable("error.code: missing required field"));
}

TEST_CASE("progress: pct in 0..=100") {
  auto progress = [](const std::string& extra) {
    return decode_progress(exec_path(), json(fenced(extra)));
  };
  auto ok = progress(R"("pct":100,"message":"almost")");
  REQUIRE(ok);
  CHECK(ok.args->args.pct == 100);
  CHECK(ok.args->args.message == "almost");
  CHECK(progress(R"("pct":0)"));
  check_error(progress(""), 422, unprocessable("pct: missing required field"));
  check_error(progress(R"("pct":50.5)"), 422,
              unprocessable("pct: expected an integer in 0..4294967295 (u32)"));
  check_error(progress(R"("pct":-1)"), 422,
              unprocessable("pct: expected an integer in 0..4294967295 (u32)"));
  check_error(progress(R"("pct":101)"), 400, bad("pct must be in 0..=100"));
  check_error(progress(R"("pct":1,"message":5)"), 422, unprocessable("message: expected a string"));
}

TEST_CASE("stream append: frames") {
  auto append = [](const std::string& frames, std::uint32_t idx = 1, std::uint32_t fence_idx = 1) {
    return decode_append_frames(exec_path(eid3, std::to_string(idx)), idx,
                                json(fenced(frames.empty() ? "" : R"("frames":)" + frames, fence_idx)));
  };
  auto ok = append(R"([{"frame_type":"stdout","data":"hello"},)"
                   R"({"frame_type":"event","data":"{}","encoding":"json","mode":"best_effort",)"
                   R"("correlation_id":"c-1","summary_patch":{"step": 2, "done": null}}])");
  REQUIRE(ok);
  CHECK(ok.args->partition == 3);
  const auto& frames = ok.args->args;
  REQUIRE(frames.size() == 2);
  for (const auto& f : frames) {
    CHECK(f.execution_id.value == eid3);
    CHECK(f.fence.lease_id == lease_uuid);
    CHECK(f.fence.lease_epoch == 4);
    CHECK(f.fence.attempt_index == 1);
    CHECK(f.source == "worker");
  }
  CHECK(frames[0].frame_type == "stdout");
  CHECK(frames[0].payload == "hello");
  CHECK(frames[0].encoding == "utf8");
  CHECK(frames[0].mode == "durable");
  CHECK(frames[0].correlation_id.empty());
  CHECK(frames[0].summary_patch.empty());
  CHECK(frames[1].encoding == "json");
  CHECK(frames[1].mode == "best_effort");
  CHECK(frames[1].correlation_id == "c-1");
  CHECK(frames[1].summary_patch == R"({"step":2,"done":null})");

  std::string one = R"([{"frame_type":"t","data":"d"}])";
  check_error(append(one, 1, 2), 400, bad("path idx does not match body attempt_index"));
  check_error(append(""), 422, unprocessable("frames: missing required field"));
  check_error(append("{}"), 422, unprocessable("frames: expected an array of frame objects"));
  check_error(append("[1]"), 422, unprocessable("frames[0]: expected an object"));
  check_error(append(R"([{"frame_type":"t","data":"d"},{"frame_type":"t"}])"), 422,
              unprocessable("frames[1].data: missing required field"));
  check_error(append(R"([{"data":"d"}])"), 422, unprocessable("frames[0].frame_type: missing required field"));
  check_error(append(R"([{"frame_type":"t","data":[1]}])"), 422,
              unprocessable("frames[0].data: expected a string"));
  check_error(append(R"([{"frame_type":"t","data":"d","mode":"summary"}])"), 422,
              unprocessable(R"(frames[0].mode: expected \"durable\" or \"best_effort\")"));
  check_error(append(R"([{"frame_type":"t","data":"d","summary_patch":"{}"}])"), 422,
              unprocessable("frames[0].summary_patch: expected a JSON object"));
  check_error(append("[]"), 400, bad("frames must hold 1..=64 entries (got 0)"));
  auto frame_list = [](int n) {
    std::string out = "[";
    for (int i = 0; i < n; ++i) out += std::string(i ? "," : "") + R"({"frame_type":"t","data":"d"})";
    return out + "]";
  };
  check_error(append(frame_list(65)), 400, bad("frames must hold 1..=64 entries (got 65)"));
  auto full = append(frame_list(64));
  REQUIRE(full);
  CHECK(full.args->args.size() == 64);
  check_error(append(R"([{"frame_type":"","data":"d"}])"), 400,
              bad("invalid_frame_type: frames[0].frame_type is empty", "invalid_frame_type"));
  check_error(append(R"([{"frame_type":"t","data":")" + std::string(65537, 'x') + R"("}])"), 400,
              bad("retention_limit_exceeded: frames[0].data exceeds 65536 bytes",
                  "retention_limit_exceeded"));
  CHECK(append(R"([{"frame_type":"t","data":")" + std::string(65536, 'x') + R"("}])"));
  // Fence shape errors come first.
  auto no_fence = decode_append_frames(exec_path(eid3, "1"), 1, json(R"({"frames":[]})"));
  check_error(no_fence, 422, unprocessable("lease_id: missing required field"));
}

TEST_CASE("typed {idx} path parameter") {
  std::uint32_t idx = 0;
  http_response error;
  CHECK(path_attempt_index(exec_path(eid3, "7"), idx, error));
  CHECK(idx == 7);
  CHECK(path_attempt_index(exec_path(eid3, "4294967295"), idx, error));
  for (std::string bad_idx : {"abc", "-1", "4294967296", "1.5"}) {
    CAPTURE(bad_idx);
    CHECK_FALSE(path_attempt_index(exec_path(eid3, bad_idx), idx, error));
    CHECK(error.status == 400);
    CHECK(error.body == bad("Invalid URL: Cannot parse `" + bad_idx + "` to a `u32`"));
  }
}

TEST_CASE("lease object, grant, renew, fail, heartbeat and append answers") {
  claimed_lease l;
  l.execution_id = eid3;
  l.attempt_index = 2;
  l.attempt_id = "a1";
  l.attempt_type = attempt_kind::retry;
  l.lease_id = "l1";
  l.lease_epoch = 7;
  l.lease_expires_at = 1700000030000;
  l.lane_id = "default";
  l.execution_kind = "echo";
  l.input_payload = std::string("{}\xff", 3);
  l.payload_encoding = "json";
  l.tags = {{"team", "infra"}, {"a", "b"}};
  l.policy_json = R"({"retry_policy":{"max_retries":2}})";
  CHECK(encode_claimed_lease(l) ==
        std::string(R"({"execution_id":")") + eid3 +
            R"(","attempt_index":2,"attempt_id":"a1","attempt_type":"retry","lease_id":"l1",)"
            R"("lease_epoch":7,"lease_expires_at":1700000030000,"lane_id":"default",)"
            R"("execution_kind":"echo","input_payload":[123,125,255],"payload_encoding":"json",)"
            R"("tags":{"a":"b","team":"infra"},"policy":{"retry_policy":{"max_retries":2}},"signals":[]})");
  l.payload_encoding.clear();
  l.policy_json.clear();
  l.tags.clear();
  auto bare = encode_claimed_lease(l);
  CHECK(bare.find(R"("payload_encoding":null,"tags":{},"policy":{},"signals":[]})") != std::string::npos);
  l.policy_json = "not json";
  CHECK(encode_claimed_lease(l).find(R"("policy":{},)") != std::string::npos);

  claim_grant g;
  g.execution_id = eid3;
  g.partition_key = "{fp:3}";
  g.grant_key = "ff:exec:{fp:3}:x:claim_grant";
  g.expires_at_ms = 1700000005000;
  g.lane_id = "default";
  CHECK(encode_claim_grant(g) == std::string(R"({"execution_id":")") + eid3 +
                                     R"(","partition_key":"{fp:3}","grant_key":"ff:exec:{fp:3}:x:claim_grant",)"
                                     R"("expires_at_ms":1700000005000})");

  CHECK(encode_renew_outcome({1700000001000, false, ""}) ==
        R"({"lease_expires_at":1700000001000,"cancel_requested":false,"cancel_reason":null})");
  CHECK(encode_renew_outcome({0, true, "operator says stop"}) ==
        R"({"lease_expires_at":null,"cancel_requested":true,"cancel_reason":"operator says stop"})");

  CHECK(encode_fail_outcome({fail_disposition::retry_scheduled, 1700000000200, false}) ==
        R"({"outcome":"retry_scheduled","retry_at":1700000000200})");
  CHECK(encode_fail_outcome({fail_disposition::failed, 0, true}) == R"({"outcome":"failed"})");

  CHECK(encode_worker_liveness({"refreshed", 1700000060000}) ==
        R"({"status":"refreshed","next_expiry_ms":1700000060000})");

  CHECK(encode_appended_frames({{"1-0", 1, 0}, {"1-1", 2, 3}, {"2-0", 3, 0}}) ==
        R"({"appended":[{"id":"1-0"},{"id":"1-1"},{"id":"2-0"}],"frame_count":3,"summary_version":3})");
}
