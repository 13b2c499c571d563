#include <doctest/doctest.h>

#include "core/ids.hpp"
#include "http/codecs/executions_create_codec.hpp"
#include "http/codecs/executions_list_codec.hpp"
#include "http/codecs/executions_read_codec.hpp"
#include "http/json_codec.hpp"

using namespace ff;

namespace {

constexpr const char* eid3 = "{fp:3}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21";

std::string minimal_body(const std::string& extra = {}) {
  std::string body = R"({"namespace":"ns","lane_id":"default","execution_kind":"k",)"
                     R"("input_payload":[123,125],"priority":5,"creator_identity":"me")";
  if (!extra.empty()) body += "," + extra;
  return body + "}";
}

create_decode_result decode(const std::string& json, std::uint16_t partitions = 8) {
  rapidjson::Document doc;
  std::string reason;
  REQUIRE_MESSAGE(parse_json_text(json, doc, &reason), reason);
  create_decode_options options;
  options.flow_partitions = partitions;
  options.server_now_ms = 1700000000000;
  options.pick_partition = [](std::uint16_t n) { return static_cast<std::uint16_t>(n - 1); };
  return decode_create_execution(doc, options);
}

void check_422(const std::string& json, const std::string& detail) {
  CAPTURE(json);
  auto r = decode(json);
  REQUIRE_FALSE(r.args);
  CHECK(r.error.status == 422);
  CHECK(r.error.body == R"({"error":"invalid JSON: Unprocessable Entity","kind":"invalid_input","detail":")" +
                            detail + "\"}");
}

void check_400(const std::string& json, const std::string& error, const std::string& kind) {
  CAPTURE(json);
  auto r = decode(json);
  REQUIRE_FALSE(r.args);
  CHECK(r.error.status == 400);
  CHECK(r.error.body == R"({"error":")" + error + R"(","kind":")" + kind + "\"}");
}

} // namespace

TEST_CASE("content types accepted for JSON bodies") {
  CHECK(is_json_content_type("application/json"));
  CHECK(is_json_content_type("application/json; charset=utf-8"));
  CHECK(is_json_content_type("Application/JSON"));
  CHECK(is_json_content_type("application/merge-patch+json"));
  CHECK(is_json_content_type("application/vnd.ff+json; v=1"));
  CHECK_FALSE(is_json_content_type("text/plain"));
  CHECK_FALSE(is_json_content_type("application/jsonx"));
  CHECK_FALSE(is_json_content_type("text/x+json"));
  CHECK_FALSE(is_json_content_type("application/+json"));
  CHECK_FALSE(is_json_content_type(""));
}

TEST_CASE("parse_json_body: 415, 400, 422") {
  http_request req;
  rapidjson::Document doc;
  http_response err;
  req.body = "{}";
  CHECK_FALSE(parse_json_body(req, doc, err));
  CHECK(err.status == 415);
  CHECK(err.body.find(R"("error":"invalid JSON: Unsupported Media Type","kind":"invalid_input")") !=
        std::string::npos);

  req.has_content_type = true;
  req.content_type = "text/plain";
  CHECK_FALSE(parse_json_body(req, doc, err));
  CHECK(err.status == 415);

  req.content_type = "application/json";
  req.body = "";
  CHECK_FALSE(parse_json_body(req, doc, err));
  CHECK(err.status == 400);
  CHECK(err.body == R"({"error":"invalid JSON: Bad Request","kind":"invalid_input","detail":"empty body"})");

  for (auto bad : {"{", "{\"a\":}", "{} x", "{'a':1}", "[1,]"}) {
    CAPTURE(bad);
    req.body = bad;
    CHECK_FALSE(parse_json_body(req, doc, err));
    CHECK(err.status == 400);
  }
  req.body = "\"\xff\"";
  CHECK_FALSE(parse_json_body(req, doc, err));
  CHECK(err.status == 400);

  req.body = "[1,2]";
  CHECK_FALSE(parse_json_body(req, doc, err));
  CHECK(err.status == 422);

  req.body = R"({"a":1})";
  CHECK(parse_json_body(req, doc, err));
}

TEST_CASE("create body: full decode with client id") {
  auto r = decode(minimal_body(std::string(R"("execution_id":")") + eid3 +
                               R"(","partition_id":3,"payload_encoding":"json",)"
                               R"("idempotency_key":"k1","tags":{"a":"b"},"delay_until":1700000001000,)"
                               R"("execution_deadline_at":1700000009000,"now":1699999999999,"unknown":{"x":1})"));
  REQUIRE(r.args);
  const auto& a = *r.args;
  CHECK(a.execution_id.value == eid3);
  CHECK(a.execution_id.partition == 3);
  CHECK(a.namespace_name == "ns");
  CHECK(a.lane_id == "default");
  CHECK(a.execution_kind == "k");
  CHECK(a.input_payload == "{}");
  CHECK(a.payload_encoding == "json");
  CHECK(a.priority == 5);
  CHECK(a.creator_identity == "me");
  CHECK(a.idempotency_key == "k1");
  CHECK(a.tags == std::map<std::string, std::string>{{"a", "b"}});
  CHECK(a.delay_until == 1700000001000);
  CHECK(a.execution_deadline_at == 1700000009000);
  CHECK(a.now_ms == 1699999999999);
  CHECK(a.policy_json == "{}");
  CHECK(a.required_capabilities.empty());
}

TEST_CASE("create body: priority is clamped, now defaults to the server clock") {
  auto body = [](const std::string& priority) {
    return std::string(R"({"namespace":"ns","lane_id":"l","execution_kind":"k","input_payload":[],)") +
           R"("creator_identity":"me","priority":)" + priority + "}";
  };
  auto clamp_high = decode(body("99999"));
  REQUIRE(clamp_high.args);
  CHECK(clamp_high.args->priority == 9000);
  auto clamp_low = decode(body("-5"));
  REQUIRE(clamp_low.args);
  CHECK(clamp_low.args->priority == 0);
  CHECK(clamp_low.args->now_ms == 1700000000000);
  check_422(body("2147483648"), "priority: expected an integer in the i32 range");
  check_422(body("1.5"), "priority: expected an integer in the i32 range");
}

TEST_CASE("create body: ids minted when omitted (decisions.md §1b)") {
  SUBCASE("both omitted: random partition below the count") {
    auto r = decode(minimal_body());
    REQUIRE(r.args);
    CHECK(r.args->execution_id.partition == 7); // the test's picker takes the last partition
    auto id = execution_id::parse(r.args->execution_id.value);
    REQUIRE(id);
    CHECK(*id == r.args->execution_id);
  }
  SUBCASE("default picker stays in range") {
    rapidjson::Document doc;
    doc.Parse(minimal_body().c_str());
    create_decode_options options;
    options.flow_partitions = 3;
    for (int i = 0; i < 50; ++i) {
      auto r = decode_create_execution(doc, options);
      REQUIRE(r.args);
      CHECK(r.args->execution_id.partition < 3);
    }
  }
  SUBCASE("only partition_id: minted on it") {
    auto r = decode(minimal_body(R"("partition_id":2)"));
    REQUIRE(r.args);
    CHECK(r.args->execution_id.partition == 2);
    CHECK(r.args->execution_id.value.rfind("{fp:2}:", 0) == 0);
  }
  SUBCASE("partition_id out of range") {
    check_400(minimal_body(R"("partition_id":8)"),
              "partition 8 is out of range (flow partitions: 8)", "invalid_input");
  }
  SUBCASE("id and partition disagree") {
    check_400(minimal_body(std::string(R"("execution_id":")") + eid3 + R"(","partition_id":4)"),
              "partition_id does not match execution_id", "invalid_input");
  }
  SUBCASE("id partition out of range") {
    check_400(minimal_body(R"("execution_id":"{fp:9}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21")"),
              "partition 9 is out of range (flow partitions: 8)", "invalid_input");
  }
  SUBCASE("null means absent") {
    auto r = decode(minimal_body(R"("execution_id":null,"partition_id":null,"tags":null)"));
    REQUIRE(r.args);
    CHECK(r.args->execution_id.partition == 7);
  }
}

TEST_CASE("create body: 422 per missing or wrong-typed field") {
  const std::vector<std::pair<std::string, std::string>> fields{
      {"namespace", R"("ns")"},        {"lane_id", R"("l")"},  {"execution_kind", R"("k")"},
      {"input_payload", "[1]"},        {"priority", "1"},      {"creator_identity", R"("me")"}};
  for (const auto& [omitted, ignored] : fields) {
    if (omitted == "priority") continue; // covered below (the policy may carry it)
    std::string body = "{";
    for (const auto& [key, value] : fields) {
      if (key == omitted) continue;
      if (body.size() > 1) body += ",";
      body += "\"" + key + "\":" + value;
    }
    check_422(body + "}", omitted + ": missing required field");
    (void)ignored;
  }
  check_422(R"({"namespace":1,"lane_id":"l","execution_kind":"k","input_payload":[],"priority":1,"creator_identity":"me"})",
            "namespace: expected a string");
  check_422(R"({"namespace":"ns","lane_id":"l","execution_kind":"k","input_payload":"{}","priority":1,"creator_identity":"me"})",
            "input_payload: expected an array of integers 0-255");
  check_422(R"({"namespace":"ns","lane_id":"l","execution_kind":"k","input_payload":[1,256],"priority":1,"creator_identity":"me"})",
            "input_payload[1]: expected an integer 0-255");
  check_422(R"({"namespace":"ns","lane_id":"l","execution_kind":"k","input_payload":[-1],"priority":1,"creator_identity":"me"})",
            "input_payload[0]: expected an integer 0-255");
  check_422(R"({"namespace":"ns","lane_id":"","execution_kind":"k","input_payload":[],"priority":1,"creator_identity":"me"})",
            "lane_id: must be 1-64 printable ASCII bytes");
  check_422(R"({"namespace":"ns","lane_id":"tab\there","execution_kind":"k","input_payload":[],"priority":1,"creator_identity":"me"})",
            "lane_id: must be 1-64 printable ASCII bytes");
  check_422(minimal_body(R"("tags":{"a":1})"), "tags.a: expected a string");
  check_422(minimal_body(R"("tags":[])"), "tags: expected an object of strings");
  check_422(minimal_body(R"("execution_id":"not-an-id")"),
            "execution_id: invalid execution id: must start with {fp:");
  check_422(minimal_body(R"("execution_id":42)"), "execution_id: expected a string");
  check_422(minimal_body(R"("partition_id":65536)"),
            "partition_id: expected an integer in 0..65535 (u16)");
  check_422(minimal_body(R"("delay_until":"soon")"),
            "delay_until: expected an integer in the i64 range");
  check_422(minimal_body(R"("now":1.5)"), "now: expected an integer in the i64 range");
  check_422(R"({"namespace":"ns","lane_id":"l","execution_kind":"k","input_payload":[],"creator_identity":"me"})",
            "priority: missing required field");
}

TEST_CASE("create body: payload bytes are kept byte-exact, invalid UTF-8 included") {
  auto r = decode(R"({"namespace":"ns","lane_id":"l","execution_kind":"k","input_payload":[104,105,255,195,0,128],"priority":1,"creator_identity":"me"})");
  REQUIRE(r.args);
  CHECK(r.args->input_payload == std::string("hi\xFF\xC3\x00\x80", 6));
}

TEST_CASE("utf8_lossy") {
  CHECK(utf8_lossy("plain") == "plain");
  CHECK(utf8_lossy("\xC3\xA9") == "\xC3\xA9");
  CHECK(utf8_lossy("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");
  CHECK(utf8_lossy("\xE2\x82") == "\xEF\xBF\xBD");             // truncated: one replacement
  CHECK(utf8_lossy("\xE2\x82x") == "\xEF\xBF\xBDx");
  CHECK(utf8_lossy("\xC0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD"); // overlong: each byte
  CHECK(utf8_lossy("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // surrogate
  CHECK(utf8_lossy(std::string("a\0b", 3)) == std::string("a\0b", 3));
}

TEST_CASE("byte arrays are written as JSON arrays of 0..255") {
  auto written = [](std::string_view bytes) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    write_key(w, "b");
    write_byte_array(w, bytes);
    write_key(w, "after");
    w.Bool(true);
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
  };
  CHECK(written("") == R"({"b":[],"after":true})");
  CHECK(written(std::string("\0\x09\x0A\x63\x64\xFF", 6)) == R"({"b":[0,9,10,99,100,255],"after":true})");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  rapidjson::Document doc;
  REQUIRE(parse_json_text(written(all), doc, nullptr));
  REQUIRE(doc["b"].Size() == 256);
  for (rapidjson::SizeType i = 0; i < 256; ++i) CHECK(doc["b"][i].GetUint() == i);
}

TEST_CASE("create body: policy normalisation") {
  auto r = decode(minimal_body(
      R"("policy":{"priority":7,"routing_requirements":{"required_capabilities":["gpu","cuda-12","avx"]},)"
      R"("budget_ids":["0C9D8E7F-6A5B-4C3D-9E1F-2A3B4C5D6E7F","{5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716}"],)"
      R"("quota_policy_id":"5e4d3c2b1a094f8e8d7c6b5a49382716","retry_policy":{"max_retries":2,)"
      R"("backoff":{"type":"exponential","initial_delay_ms":10,"max_delay_ms":100,"multiplier":1.5}},)"
      R"("delay_until":1234,"extra":null})"));
  REQUIRE(r.args);
  const auto& a = *r.args;
  CHECK(a.priority == 5); // top-level wins over policy.priority
  CHECK(a.delay_until == 1234); // policy.delay_until used as the top level is absent
  CHECK(a.required_capabilities == "avx,cuda-12,gpu");
  CHECK(a.budget_ids ==
        "0c9d8e7f-6a5b-4c3d-9e1f-2a3b4c5d6e7f,5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716");
  CHECK(a.quota_policy_id == "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716");
  CHECK(a.policy_json.find(R"({"priority":7,"routing_requirements":{"required_capabilities":["gpu","cuda-12","avx"]})") == 0);
  CHECK(a.policy_json.find(' ') == std::string::npos);

  auto from_policy = decode(
      R"({"namespace":"ns","lane_id":"l","execution_kind":"k","input_payload":[],"creator_identity":"me","policy":{"priority":20000}})");
  REQUIRE(from_policy.args);
  CHECK(from_policy.args->priority == 9000);

  auto null_policy = decode(minimal_body(R"("policy":null)"));
  REQUIRE(null_policy.args);
  CHECK(null_policy.args->policy_json == "{}");
}

TEST_CASE("create body: policy and capability errors are 400") {
  auto policy = [](const std::string& p) { return minimal_body(R"("policy":)" + p); };
  check_400(policy("[]"), "invalid_policy_json: policy: expected an object", "invalid_policy_json");
  check_400(policy(R"({"routing_requirements":"gpu"})"),
            "invalid_policy_json: routing_requirements:not_object", "invalid_policy_json");
  check_400(policy(R"({"max_replay_count":-1})"),
            "invalid_policy_json: max_replay_count: expected an integer in 0..4294967295 (u32)",
            "invalid_policy_json");
  check_400(policy(R"({"retry_policy":{"backoff":{"type":"linear"}}})"),
            "invalid_policy_json: retry_policy.backoff.type: expected \\\"fixed\\\" or \\\"exponential\\\"",
            "invalid_policy_json");
  check_400(policy(R"({"retry_policy":{"retryable_categories":[1]}})"),
            "invalid_policy_json: retry_policy.retryable_categories[0]: expected a string",
            "invalid_policy_json");
  check_400(policy(R"({"fallback_policy":{"tiers":[{"provider":"p"}]}})"),
            "invalid_policy_json: fallback_policy.tiers[0].model: missing required field",
            "invalid_policy_json");
  check_400(policy(R"({"stream_policy":{"retention_maxlen":"big"}})"),
            "invalid_policy_json: stream_policy.retention_maxlen: expected a non-negative integer (u64)",
            "invalid_policy_json");
  check_400(policy(R"({"budget_ids":["nope"]})"),
            "invalid_policy_json: budget_ids[0]: expected a UUID", "invalid_policy_json");
  check_400(policy(R"({"quota_policy_id":7})"), "invalid_policy_json: quota_policy_id: expected a UUID",
            "invalid_policy_json");

  auto caps = [&](const std::string& list) {
    return policy(R"({"routing_requirements":{"required_capabilities":)" + list + "}}");
  };
  check_400(caps(R"("gpu")"), "invalid_capabilities: required:not_array", "invalid_capabilities");
  check_400(caps("[1]"), "invalid_capabilities: required:non_string_token", "invalid_capabilities");
  check_400(caps(R"([""])"), "invalid_capabilities: required:empty_token", "invalid_capabilities");
  check_400(caps(R"(["a,b"])"), "invalid_capabilities: required:comma_in_token",
            "invalid_capabilities");
  check_400(caps(R"(["a b"])"), "invalid_capabilities: required:control_or_whitespace",
            "invalid_capabilities");
  std::string many = "[";
  for (int i = 0; i < 257; ++i) many += (i ? ",\"c" : "\"c") + std::to_string(i) + "\"";
  check_400(caps(many + "]"), "invalid_capabilities: required:too_many_tokens",
            "invalid_capabilities");
  std::string big = "[";
  for (int i = 0; i < 20; ++i) big += (i ? ",\"" : "\"") + std::string(250, char('a' + i)) + "\"";
  check_400(caps(big + "]"), "invalid_capabilities: required:too_many_bytes",
            "invalid_capabilities");
  // UTF-8 above 0x7F is allowed.
  auto utf8 = decode(caps(R"(["caf\u00e9"])"));
  REQUIRE(utf8.args);
  CHECK(utf8.args->required_capabilities == "caf\xC3\xA9");
}

TEST_CASE("ExecutionInfo encoding") {
  execution_info info;
  info.execution_id = eid3;
  info.namespace_name = "ns";
  info.lane_id = "default";
  info.priority = 5;
  info.execution_kind = "k";
  info.state = {"runnable", "unowned", "eligible_now", "waiting_for_worker", "none",
                "pending_first_attempt", "waiting"};
  info.created_at = 1713100800150;

  CHECK(encode_execution_info(info) ==
        std::string(R"({"execution_id":")") + eid3 +
            R"(","namespace":"ns","lane_id":"default","priority":5,"execution_kind":"k",)"
            R"("state_vector":{"lifecycle_phase":"runnable","ownership_state":"unowned",)"
            R"("eligibility_state":"eligible_now","blocking_reason":"waiting_for_worker",)"
            R"("terminal_outcome":"none","attempt_state":"pending_first_attempt","public_state":"waiting"},)"
            R"("public_state":"waiting","created_at":"1713100800150","current_attempt_index":0,)"
            R"("flow_id":null,"blocking_detail":"","last_error":null,"progress":null,)"
            R"("cancel_reason":null})");

  info.started_at = 1713100800200;
  info.completed_at = 1713100800300;
  info.flow_id = "b3f4e2d1-7a65-4c3b-8e2f-1a0b9c8d7e6f";
  info.current_attempt_index = 2;
  auto json = encode_execution_info(info);
  CHECK(json.find(R"("started_at":"1713100800200","completed_at":"1713100800300","current_attempt_index":2,"flow_id":"b3f4e2d1-7a65-4c3b-8e2f-1a0b9c8d7e6f")") !=
        std::string::npos);

  // What operators look for; details are the worker's raw JSON.
  info.last_error_code = "E1";
  info.last_error_message = "boom";
  info.last_error_details = R"({"n": -0})";
  info.progress_pct = 30;
  info.progress_message = "a third";
  info.cancel_reason = "no longer needed";
  json = encode_execution_info(info);
  CHECK(json.find(R"("last_error":{"code":"E1","message":"boom","details":{"n": -0}},)"
                  R"("progress":{"pct":30,"message":"a third"},"cancel_reason":"no longer needed"})") !=
        std::string::npos);
}

TEST_CASE("raw member text and unpaired surrogates") {
  const std::string body =
    R"({"a":1, "res\u0075lt" : {"c":-0, "s":"}\"]"} ,"error":{"code":"x","details":[1e2, {"k":null}]}})";
  auto result = raw_member_text(body, {"result"});
  REQUIRE(result);
  CHECK(*result == R"({"c":-0, "s":"}\"]"})");
  auto details = raw_member_text(body, {"error", "details"});
  REQUIRE(details);
  CHECK(*details == R"([1e2, {"k":null}])");
  CHECK(raw_member_text(body, {"a"}) == std::optional<std::string_view>("1"));
  CHECK_FALSE(raw_member_text(body, {"missing"}));
  CHECK_FALSE(raw_member_text(body, {"a", "b"}));

  CHECK(find_unpaired_surrogate(R"({"s":"\ud83d\ude00"})") == std::string_view::npos);
  CHECK(find_unpaired_surrogate(R"({"s":"x\udc00"})") == 7);
  CHECK(find_unpaired_surrogate(R"({"s":"\ud800x"})") == 6);
  CHECK(find_unpaired_surrogate(R"({"s":"\ud800\u0041"})") == 6);
  CHECK(find_unpaired_surrogate(R"({"s":"\\udc00"})") == std::string_view::npos);
  rapidjson::Document doc;
  std::string reason;
  CHECK_FALSE(parse_json_text(R"({"s":"\udc00"})", doc, &reason));
  CHECK(reason.find("unpaired UTF-16 surrogate") == 0);
}

TEST_CASE("outcome and page encodings") {
  create_execution_outcome created{true, eid3, public_state_kind::waiting};
  CHECK(encode_create_outcome(created) ==
        std::string(R"({"Created":{"execution_id":")") + eid3 + R"(","public_state":"waiting"}})");
  create_execution_outcome dup{false, eid3};
  CHECK(encode_create_outcome(dup) ==
        std::string(R"({"Duplicate":{"execution_id":")") + eid3 + R"("}})");
  CHECK(encode_execution_page({}) == R"({"executions":[],"next_cursor":null})");
  execution_page page{{"a", "b"}, "b"};
  CHECK(encode_execution_page(page) == R"({"executions":["a","b"],"next_cursor":"b"})");
  CHECK(json_quote("com\"pleted") == R"("com\"pleted")");
}

TEST_CASE("parse_decimal") {
  std::uint16_t u16 = 0;
  CHECK(parse_decimal("65535", u16));
  CHECK(u16 == 65535);
  CHECK_FALSE(parse_decimal("65536", u16));
  CHECK_FALSE(parse_decimal("-1", u16));
  CHECK_FALSE(parse_decimal("", u16));
  CHECK_FALSE(parse_decimal("1x", u16));
  std::uint64_t u64 = 0;
  CHECK(parse_decimal("18446744073709551615", u64));
  CHECK_FALSE(parse_decimal("18446744073709551616", u64));
  std::int64_t i64 = 0;
  CHECK(parse_decimal("-9223372036854775808", i64));
  CHECK(i64 == INT64_MIN);
  CHECK_FALSE(parse_decimal("9223372036854775808", i64));
  std::int32_t i32 = 0;
  CHECK(parse_decimal("-42", i32));
  CHECK(i32 == -42);
}
