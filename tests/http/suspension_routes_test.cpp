// Suspension, waitpoint and signal routes over a real loopback socket with a
// fake engine: what reaches the gateway, what comes back, and that every
// bad input is refused before the gateway is called.

#include <doctest/doctest.h>

#include <set>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "http/codecs/suspension_codec.hpp"
#include "http/json_codec.hpp"
#include "http/metrics.hpp"
#include "http/response_encoding.hpp"
#include "http/routes.hpp"
#include "http/server.hpp"
#include "tests/http/fake_gateway.hpp"
#include "tests/http/running_server.hpp"
#include "tests/support/http_client.hpp"

using namespace ff;
using test::eid1;
using test::eid1_path;
using test::running_server;

namespace {

using test::lease_uuid;
constexpr const char* wp_uuid = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
constexpr const char* sig_uuid = "0c9d8e7f-6a5b-4c3d-9e1f-2a3b4c5d6e7f";

std::string exec(const std::string& suffix) { return "/v1/executions/" + eid1_path + suffix; }

std::string fenced(const std::string& extra = {}) {
  std::string body = std::string(R"({"lease_id":")") + lease_uuid +
                     R"(","lease_epoch":4,"attempt_index":0)";
  if (!extra.empty()) body += "," + extra;
  return body + "}";
}

const std::string single_cond = R"("resume_condition":{"type":"single","waitpoint_key":"k1","signal_name":null})";

// The signal body as (field, JSON value) pairs, so a test can drop or
// replace one field.
using fields = std::vector<std::pair<std::string, std::string>>;

fields signal_fields(const std::string& token = "k1:abc") {
  return {{"execution_id", json_quote(eid1)},
          {"waitpoint_id", json_quote(wp_uuid)},
          {"signal_id", json_quote(sig_uuid)},
          {"signal_name", R"("approve")"},
          {"signal_category", R"("user")"},
          {"source_type", R"("human")"},
          {"source_identity", R"("alice")"},
          {"target_scope", R"("waitpoint")"},
          {"payload", "[123,125]"},
          {"idempotency_key", R"("once")"},
          {"waitpoint_token", json_quote(token)},
          {"now", "1"}};
}

std::string to_body(const fields& f) {
  std::string b = "{";
  for (const auto& [k, v] : f) b += (b.size() > 1 ? "," : "") + json_quote(k) + ":" + v;
  return b + "}";
}

std::string signal_body(const std::string& extra = {}, const std::string& token = "k1:abc") {
  auto b = to_body(signal_fields(token));
  if (!extra.empty()) b.insert(b.size() - 1, "," + extra);
  return b;
}

std::string signal_with(const std::string& field, const std::string& value) {
  auto f = signal_fields();
  for (auto& [k, v] : f)
    if (k == field) v = value;
  return to_body(f);
}

std::string signal_without(const std::string& field) {
  fields out;
  for (auto& kv : signal_fields())
    if (kv.first != field) out.push_back(kv);
  return to_body(out);
}

} // namespace

TEST_CASE("every suspension route has a handler") {
  const std::set<std::string> implemented = {
      "/v1/executions/{id}/suspend", "/v1/executions/{id}/waitpoints",
      "/v1/executions/{id}/signal", "/v1/executions/{id}/pending-waitpoints",
      "/v1/executions/{id}/waitpoints/{waitpoint_id}/token",
      "/v1/admin/rotate-waitpoint-secret"};
  std::size_t found = 0;
  for (const auto& r : route_table()) {
    if (!implemented.count(r.path)) continue;
    CAPTURE(r.path);
    CHECK(static_cast<bool>(r.handler));
    ++found;
  }
  CHECK(found == implemented.size());
}

TEST_CASE("suspend: what reaches the gateway and what comes back") {
  running_server s;
  auto c = s.client();
  s.gateway.configure([](auto& a) {
    a.suspend.suspension_id = "11111111-1111-4111-8111-111111111111";
    a.suspend.status = suspend_status::suspended;
    a.suspend.waitpoints = {{wp_uuid, "k1", "k1:" + std::string(64, 'b')}};
  });
  auto before = now_ms();
  auto r = c.post(exec("/suspend"),
                  fenced(R"("waitpoints":[{"waitpoint_key":"k1"}],)" + single_cond +
                         R"(,"timeout_ms":300,"timeout_behavior":"auto_resume","idempotency_key":"s1")"));
  CHECK(r.status == 200);
  CHECK(r.body == std::string(R"({"suspension_id":"11111111-1111-4111-8111-111111111111","status":"suspended",)"
                              R"("waitpoints":[{"waitpoint_id":")") +
                      wp_uuid + R"(","waitpoint_key":"k1","waitpoint_token":"k1:)" + std::string(64, 'b') +
                      R"("}]})");
  auto calls = s.gateway.calls();
  REQUIRE(calls.suspend.size() == 1);
  CHECK(calls.suspend[0].first == 1);
  const auto& a = calls.suspend[0].second;
  CHECK(a.execution_id.value == eid1);
  CHECK(a.fence.lease_id == lease_uuid);
  CHECK(a.fence.lease_epoch == 4);
  CHECK(a.suspension_id.empty());
  CHECK(a.reason_code == "waiting_for_signal");
  REQUIRE(a.waitpoints.size() == 1);
  CHECK(a.waitpoints[0].waitpoint_key == "k1");
  CHECK(a.waitpoints[0].waitpoint_id.empty());
  CHECK(a.waitpoints[0].waitpoint_token.empty());
  CHECK_FALSE(a.waitpoints[0].activate_pending);
  CHECK(a.timeout_at >= before + 300);
  CHECK(a.timeout_at <= now_ms() + 300);
  CHECK(a.timeout_behavior == "auto_resume");
  CHECK(a.idempotency_key == "s1");
  CHECK(a.resume_condition_json.find("\"single\"") != std::string::npos);

  // Activation of a pending waitpoint by id: its key is unknown here.
  auto act = c.post(exec("/suspend"),
                    fenced(std::string(R"("reason_code":"waiting_for_approval","waitpoints":[{"waitpoint_id":")") +
                           "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D" +
                           R"("}],"resume_condition":{"type":"single","waitpoint_key":"pending-key"})"));
  CHECK(act.status == 200);
  calls = s.gateway.calls();
  REQUIRE(calls.suspend.size() == 2);
  const auto& b = calls.suspend[1].second;
  CHECK(b.reason_code == "waiting_for_approval");
  REQUIRE(b.waitpoints.size() == 1);
  CHECK(b.waitpoints[0].activate_pending);
  CHECK(b.waitpoints[0].waitpoint_id == wp_uuid);
  CHECK(b.timeout_at == 0);
  CHECK(b.timeout_behavior == "fail");

  s.gateway.fail_next(classify_store_error("stale_lease", ""));
  auto stale = c.post(exec("/suspend"), fenced(R"("waitpoints":[{"waitpoint_key":"k1"}],)" + single_cond));
  CHECK(stale.status == 409);
  CHECK(stale.body == R"({"error":"stale_lease","kind":"state_conflict","retryable":false})");
}

TEST_CASE("suspend: every bad input is a 4xx and reaches nothing") {
  running_server s;
  auto c = s.client();
  const std::string wp = R"("waitpoints":[{"waitpoint_key":"k1"}])";
  struct bad_case {
    const char* name;
    std::string body;
    unsigned status;
    std::string error; // substring of the body
  };
  const std::vector<bad_case> cases = {
      {"no fence", "{" + wp + "," + single_cond + "}", 422, "lease_id: missing required field"},
      {"lease_id not a uuid", R"({"lease_id":"x","lease_epoch":1,"attempt_index":0,)" + wp + "," + single_cond + "}",
       422, "lease_id: expected a UUID"},
      {"no waitpoints", fenced(single_cond), 422, "waitpoints: missing required field"},
      {"waitpoints not an array", fenced(R"("waitpoints":{},)" + single_cond), 422, "waitpoints: expected an array"},
      {"waitpoint not an object", fenced(R"("waitpoints":["k1"],)" + single_cond), 422, "waitpoints[0]: expected an object"},
      {"waitpoint key not a string", fenced(R"("waitpoints":[{"waitpoint_key":1}],)" + single_cond), 422,
       "waitpoints[0].waitpoint_key"},
      {"waitpoint id not a uuid", fenced(R"("waitpoints":[{"waitpoint_id":"nope"}],)" + single_cond), 422,
       "waitpoints[0].waitpoint_id: expected a UUID"},
      {"no condition", fenced(wp), 422, "resume_condition: missing required field"},
      {"condition not an object", fenced(wp + R"(,"resume_condition":"single")"), 422,
       "resume_condition: expected a JSON object"},
      {"timeout_ms negative", fenced(wp + "," + single_cond + R"(,"timeout_ms":-1)"), 422, "timeout_ms"},
      {"timeout_behavior not a string", fenced(wp + "," + single_cond + R"(,"timeout_behavior":1)"), 422,
       "timeout_behavior"},
      {"empty waitpoints", fenced(R"("waitpoints":[],)" + single_cond), 400, "waitpoints must hold 1..=16 entries (got 0)"},
      {"17 waitpoints", fenced([] {
         std::string w = R"("waitpoints":[)";
         for (int i = 0; i < 17; ++i) w += std::string(i ? "," : "") + R"({"waitpoint_key":"k)" + std::to_string(i) + R"("})";
         return w + "],";
       }() + R"("resume_condition":{"type":"operator_only"})"), 400, "(got 17)"},
      {"empty key", fenced(R"("waitpoints":[{"waitpoint_key":""}],"resume_condition":{"type":"operator_only"})"), 400,
       "waitpoints[0].waitpoint_key: must not be empty"},
      {"long key", fenced(R"("waitpoints":[{"waitpoint_key":")" + std::string(257, 'k') + R"("}],"resume_condition":{"type":"operator_only"})"),
       400, "exceeds 256 bytes"},
      {"duplicate key", fenced(R"("waitpoints":[{"waitpoint_key":"k1"},{"waitpoint_key":"k1"}],)" + single_cond), 400,
       "duplicate key 'k1'"},
      {"duplicate pending id", fenced(std::string(R"("waitpoints":[{"waitpoint_id":")") + wp_uuid + R"("},{"waitpoint_id":")" +
                                      wp_uuid + R"("}],"resume_condition":{"type":"operator_only"})"),
       400, "duplicate waitpoint_id"},
      {"key and id", fenced(std::string(R"("waitpoints":[{"waitpoint_key":"k1","waitpoint_id":")") + wp_uuid + R"("}],)" + single_cond),
       400, "give either waitpoint_key"},
      {"empty reason", fenced(R"("reason_code":"",)" + wp + "," + single_cond), 400, "reason_code must not be empty"},
      {"timeout 0", fenced(wp + "," + single_cond + R"(,"timeout_ms":0)"), 400, "timeout_ms must be in 1..="},
      {"timeout too long", fenced(wp + "," + single_cond + R"(,"timeout_ms":31536000001)"), 400, "timeout_ms must be in"},
      {"bad behavior", fenced(wp + "," + single_cond + R"(,"timeout_behavior":"explode")"), 400,
       "timeout_behavior must be one of"},
      {"unknown key in condition", fenced(wp + R"(,"resume_condition":{"type":"single","waitpoint_key":"k9"})"), 400,
       "names no waitpoint"},
      {"unknown condition type", fenced(wp + R"(,"resume_condition":{"type":"some_of"})"), 400, "unknown type"},
      {"count n over the keys", fenced(wp + R"(,"resume_condition":{"type":"count","n":2,"count_kind":"distinct_waitpoints","waitpoint_keys":["k1"]})"),
       400, "exceeds the number of waitpoint_keys"},
      {"count n zero", fenced(wp + R"(,"resume_condition":{"type":"count","n":0,"count_kind":"distinct_sources","waitpoint_keys":["k1"]})"),
       400, "resume_condition.n"},
      {"too deep", fenced(wp + R"(,"resume_condition":{"type":"all_of","members":[{"type":"all_of","members":[{"type":"all_of","members":[{"type":"all_of","members":[{"type":"all_of","members":[{"type":"single","waitpoint_key":"k1"}]}]}]}]}]})"),
       400, "nesting deeper"},
      {"timeout_only without timeout", fenced(wp + R"(,"resume_condition":{"type":"timeout_only"})"), 400,
       "timeout_only requires timeout_ms"},
  };
  for (const auto& bc : cases) {
    CAPTURE(std::string(bc.name));
    auto r = c.post(exec("/suspend"), bc.body);
    CHECK(r.status == bc.status);
    CHECK_MESSAGE(r.body.find(bc.error) != std::string::npos, r.body);
  }
  auto bad_path = c.post("/v1/executions/nope/suspend", fenced(wp + "," + single_cond));
  CHECK(bad_path.status == 400);
  CHECK(bad_path.body.find("invalid execution_id") != std::string::npos);
  CHECK(c.post(exec("/suspend"), "{").status == 400);
  CHECK(c.post(exec("/suspend"), fenced(wp + "," + single_cond), {{"Content-Type", "text/plain"}}).status == 415);
  CHECK(s.gateway.call_count() == 0);
}

TEST_CASE("suspend already satisfied carries the buffered signals") {
  suspend_outcome o;
  o.suspension_id = "s";
  o.status = suspend_status::already_satisfied;
  o.waitpoints = {{"w", "k", "t"}};
  o.signals = {{"sig", "approve", "alice", "{}"}};
  CHECK(encode_suspend_outcome(o) ==
        R"({"suspension_id":"s","status":"already_satisfied","waitpoints":[{"waitpoint_id":"w","waitpoint_key":"k","waitpoint_token":"t"}],)"
        R"("signals":[{"signal_id":"sig","signal_name":"approve","source_identity":"alice","payload":[123,125]}]})");
  o.status = suspend_status::suspended;
  CHECK(encode_suspend_outcome(o).find("signals") == std::string::npos);
}

TEST_CASE("resumed lease carries its signals") {
  claimed_lease l;
  l.attempt_type = attempt_kind::resumed;
  l.signals = {{"s1", "approve", "alice", std::string("\x01\xff", 2)}, {"s2", "n", "bob", ""}};
  auto body = encode_claimed_lease(l);
  CHECK(body.find(R"("signals":[{"signal_id":"s1","signal_name":"approve","source_identity":"alice","payload":[1,255]},)"
                  R"({"signal_id":"s2","signal_name":"n","source_identity":"bob","payload":[]}]})") != std::string::npos);
}

TEST_CASE("pending waitpoint creation") {
  running_server s;
  auto c = s.client();
  s.gateway.configure([](auto& a) { a.pending_waitpoint = {wp_uuid, "pk", "k1:tok"}; });
  auto before = now_ms();
  auto r = c.post(exec("/waitpoints"), fenced(R"("waitpoint_key":"pk","expires_in_ms":5000)"));
  CHECK(r.status == 200);
  CHECK(r.body == std::string(R"({"waitpoint_id":")") + wp_uuid + R"(","waitpoint_key":"pk","waitpoint_token":"k1:tok"})");
  auto calls = s.gateway.calls();
  REQUIRE(calls.pending_waitpoint.size() == 1);
  const auto& a = calls.pending_waitpoint[0].second;
  CHECK(calls.pending_waitpoint[0].first == 1);
  CHECK(a.execution_id.value == eid1);
  CHECK(a.waitpoint_key == "pk");
  CHECK(a.waitpoint_id.empty());
  CHECK(a.waitpoint_token.empty());
  CHECK(a.expires_at >= before + 5000);
  CHECK(c.post(exec("/waitpoints"), fenced()).status == 200);
  calls = s.gateway.calls();
  REQUIRE(calls.pending_waitpoint.size() == 2);
  CHECK(calls.pending_waitpoint[1].second.expires_at == 0);
  CHECK(calls.pending_waitpoint[1].second.waitpoint_key.empty());

  auto before_bad = s.gateway.call_count();
  CHECK(c.post(exec("/waitpoints"), fenced(R"("waitpoint_key":"")")).status == 400);
  CHECK(c.post(exec("/waitpoints"), fenced(R"("waitpoint_key":7)")).status == 422);
  CHECK(c.post(exec("/waitpoints"), fenced(R"("expires_in_ms":0)")).status == 400);
  CHECK(c.post(exec("/waitpoints"), fenced(R"("expires_in_ms":-5)")).status == 422);
  CHECK(c.post(exec("/waitpoints"), R"({"waitpoint_key":"pk"})").status == 422);
  CHECK(c.post("/v1/executions/x/waitpoints", fenced()).status == 400);
  CHECK(s.gateway.call_count() == before_bad);
}

TEST_CASE("signal: decoding, answers and errors") {
  running_server s;
  auto c = s.client();
  s.gateway.configure([](auto& a) { a.signal = {false, sig_uuid, "resume_condition_satisfied", "default", true}; });
  auto r = c.post(exec("/signal"), signal_body(R"("dedup_ttl_ms":5000,"resume_delay_ms":10,"signal_maxlen":50,"max_signals_per_execution":7,"correlation_id":"c","created_at":99)"));
  CHECK(r.status == 200);
  CHECK(r.body == std::string(R"({"Accepted":{"signal_id":")") + sig_uuid + R"(","effect":"resume_condition_satisfied"}})");
  auto calls = s.gateway.calls();
  REQUIRE(calls.signal.size() == 1);
  const auto& sc = calls.signal[0];
  CHECK(sc.partition == 1);
  CHECK(sc.token == "k1:abc");
  CHECK(sc.args.execution_id.value == eid1);
  CHECK(sc.args.waitpoint_id == wp_uuid);
  CHECK(sc.args.signal_id == sig_uuid);
  CHECK(sc.args.signal_name == "approve");
  CHECK(sc.args.signal_category == "user");
  CHECK(sc.args.source_type == "human");
  CHECK(sc.args.source_identity == "alice");
  CHECK(sc.args.payload == "{}");
  CHECK(sc.args.idempotency_key == "once");
  CHECK(sc.args.target_scope == "waitpoint");
  CHECK(sc.args.dedup_ttl_ms == 5000);
  CHECK(sc.args.resume_delay_ms == 10);
  CHECK(sc.args.signal_maxlen == 50);
  CHECK(sc.args.max_signals_per_execution == 7);
  CHECK(sc.args.correlation_id == "c");
  CHECK(sc.args.created_at == 99);

  s.gateway.configure([](auto& a) { a.signal = {true, sig_uuid, "", "default", false}; });
  auto dup = c.post(exec("/signal"), signal_body());
  CHECK(dup.body == std::string(R"({"Duplicate":{"existing_signal_id":")") + sig_uuid + R"("}})");

  // Empty token: accepted by the decoder, refused by the node.
  auto empty = c.post(exec("/signal"), signal_body({}, ""));
  CHECK(empty.status == 400);
  CHECK(empty.body == R"({"error":"missing_token","kind":"invalid_input","retryable":false})");
  s.gateway.fail_next(classify_store_error("invalid_token", ""));
  auto forged = c.post(exec("/signal"), signal_body());
  CHECK(forged.status == 400);
  CHECK(forged.body == R"({"error":"invalid_token","kind":"invalid_token"})");
  s.gateway.fail_next(classify_store_error("waitpoint_closed", ""));
  CHECK(c.post(exec("/signal"), signal_body()).status == 409);
  s.gateway.fail_next(classify_store_error("execution_not_found", ""));
  auto missing = c.post(exec("/signal"), signal_body());
  CHECK(missing.status == 404);
  CHECK(missing.body == R"({"error":"not found: execution"})");
}

TEST_CASE("signal: every bad input is a 4xx and reaches nothing") {
  running_server s;
  auto c = s.client();
  for (const char* f : {"execution_id", "waitpoint_id", "signal_id", "signal_name", "signal_category",
                        "source_type", "source_identity", "target_scope", "waitpoint_token", "now"}) {
    CAPTURE(f);
    auto r = c.post(exec("/signal"), signal_without(f));
    CHECK(r.status == 422);
    CHECK(r.body.find(std::string(f) + ": missing required field") != std::string::npos);
  }
  struct bad_case {
    const char* name;
    std::string body;
    unsigned status;
    std::string error;
  };
  const std::vector<bad_case> cases = {
      {"payload as a string", signal_with("payload", R"("{}")"), 422, "payload: expected an array"},
      {"payload byte out of range", signal_with("payload", "[256]"), 422, "payload[0]"},
      {"waitpoint_id not a uuid", signal_with("waitpoint_id", R"("not-a-uuid")"), 422,
       "waitpoint_id: expected a UUID"},
      {"signal_id not a uuid", signal_with("signal_id", R"("zzz")"), 422, "signal_id: expected a UUID"},
      {"body execution id invalid", signal_with("execution_id", R"("{fp:x}:y")"), 422,
       "execution_id: invalid execution id"},
      {"body id differs", signal_with("execution_id", json_quote(std::string("{fp:2}") + (eid1 + 6))), 400,
       "path execution_id does not match body execution_id"},
      {"token not a string", signal_with("waitpoint_token", "1"), 422, "waitpoint_token"},
      {"now not an integer", signal_with("now", R"("soon")"), 422, "now"},
      {"signal_maxlen over u32", signal_body(R"("signal_maxlen":4294967296)"), 422, "signal_maxlen"},
      {"dedup ttl negative", signal_body(R"("dedup_ttl_ms":-1)"), 422, "dedup_ttl_ms"},
  };
  for (const auto& bc : cases) {
    CAPTURE(std::string(bc.name));
    auto r = c.post(exec("/signal"), bc.body);
    CHECK(r.status == bc.status);
    CHECK_MESSAGE(r.body.find(bc.error) != std::string::npos, r.body);
  }
  CHECK(c.post("/v1/executions/nope/signal", signal_body()).status == 400);
  CHECK(c.post(exec("/signal"), "[1]").status == 422);
  CHECK(c.post(exec("/signal"), "{").status == 400);
  CHECK(c.post(exec("/signal"), signal_body(), {{"Content-Type", "text/plain"}}).status == 415);
  CHECK(s.gateway.call_count() == 0);
}

TEST_CASE("pending-waitpoints: page, cursor header and query checks") {
  running_server s;
  auto c = s.client();
  pending_waitpoint_info pending;
  pending.waitpoint_id = wp_uuid;
  pending.waitpoint_key = "pk";
  pending.state = "pending";
  pending.created_at = 1000;
  pending.execution_id = eid1;
  pending.token_kid = "k1";
  pending.token_fingerprint = "0123456789abcdef";
  pending_waitpoint_info active = pending;
  active.waitpoint_id = sig_uuid;
  active.state = "active";
  active.required_signal_names = {"approve"};
  active.activated_at = 2000;
  active.expires_at = 3000;
  s.gateway.configure([&](auto& a) { a.pending_page = {{pending, active}, sig_uuid}; });

  auto r = c.get(exec("/pending-waitpoints?limit=2&cursor=" + std::string("00000000-0000-4000-8000-000000000001")));
  CHECK(r.status == 200);
  CHECK(r.header("x-next-cursor") == sig_uuid);
  CHECK(r.body == std::string("[") +
                      R"({"waitpoint_id":")" + wp_uuid + R"(","waitpoint_key":"pk","state":"pending","required_signal_names":[],)"
                      R"("created_at":1000,"execution_id":")" + eid1 + R"(","token_kid":"k1","token_fingerprint":"0123456789abcdef"},)"
                      R"({"waitpoint_id":")" + sig_uuid + R"(","waitpoint_key":"pk","state":"active","required_signal_names":["approve"],)"
                      R"("created_at":1000,"activated_at":2000,"expires_at":3000,"execution_id":")" + eid1 +
                      R"(","token_kid":"k1","token_fingerprint":"0123456789abcdef"}])");
  auto calls = s.gateway.calls();
  REQUIRE(calls.list_pending.size() == 1);
  CHECK(calls.list_pending[0].first == 1);
  CHECK(calls.list_pending[0].second.execution_id.value == eid1);
  CHECK(calls.list_pending[0].second.limit == 2);
  CHECK(calls.list_pending[0].second.cursor == "00000000-0000-4000-8000-000000000001");

  s.gateway.configure([](auto& a) { a.pending_page = {}; });
  auto empty = c.get(exec("/pending-waitpoints?cursor="));
  CHECK(empty.status == 200);
  CHECK(empty.body == "[]");
  CHECK(empty.header("x-next-cursor").empty());
  calls = s.gateway.calls();
  CHECK(calls.list_pending[1].second.limit == 100);
  CHECK(calls.list_pending[1].second.cursor.empty());

  auto before = s.gateway.call_count();
  CHECK(c.get(exec("/pending-waitpoints?limit=0")).status == 400);
  CHECK(c.get(exec("/pending-waitpoints?limit=1001")).body.find("limit must be in 1..=1000") != std::string::npos);
  CHECK(c.get(exec("/pending-waitpoints?limit=x")).body.find("Failed to deserialize query string") != std::string::npos);
  CHECK(c.get(exec("/pending-waitpoints?cursor=nope")).body.find("invalid cursor") != std::string::npos);
  CHECK(c.get(exec("/pending-waitpoints?cursor=%zz")).status == 400);
  CHECK(c.get("/v1/executions/nope/pending-waitpoints").status == 400);
  CHECK(s.gateway.call_count() == before);
  CHECK(c.get(exec("/pending-waitpoints?limit=1000")).status == 200);
  s.gateway.fail_next(classify_store_error("execution_not_found", ""));
  CHECK(c.get(exec("/pending-waitpoints")).status == 404);
}

TEST_CASE("waitpoint token route: no-store on 200 and 404 only") {
  running_server s;
  auto c = s.client();
  auto r = c.get(exec(std::string("/waitpoints/") + "A1B2C3D4E5F64A7B8C9D0E1F2A3B4C5D" + "/token"));
  CHECK(r.status == 200);
  CHECK(r.body == R"({"token":"k1:)" + std::string(64, 'a') + R"("})");
  CHECK(r.header("cache-control") == "no-store");
  auto calls = s.gateway.calls();
  REQUIRE(calls.token.size() == 1);
  CHECK(std::get<0>(calls.token[0]) == 1);
  CHECK(std::get<1>(calls.token[0]) == eid1);
  CHECK(std::get<2>(calls.token[0]) == wp_uuid);

  s.gateway.configure([](auto& a) { a.token.clear(); });
  auto missing = c.get(exec(std::string("/waitpoints/") + wp_uuid + "/token"));
  CHECK(missing.status == 404);
  CHECK(missing.body == R"x({"error":"waitpoint token not found (consumed, expired, or unknown id)"})x");
  CHECK(missing.header("cache-control") == "no-store");

  auto before = s.gateway.call_count();
  auto bad_wp = c.get(exec("/waitpoints/nope/token"));
  CHECK(bad_wp.status == 400);
  CHECK(bad_wp.body.find("waitpoint_id: ") != std::string::npos);
  CHECK(bad_wp.header("cache-control").empty());
  auto bad_id = c.get(std::string("/v1/executions/nope/waitpoints/") + wp_uuid + "/token");
  CHECK(bad_id.status == 400);
  CHECK(bad_id.body.find("invalid execution_id") != std::string::npos);
  CHECK(s.gateway.call_count() == before);

  s.gateway.fail_next(engine_error::transport("down"));
  auto down = c.get(exec(std::string("/waitpoints/") + wp_uuid + "/token"));
  CHECK(down.status == 503);
  CHECK(down.header("cache-control").empty());
}

TEST_CASE("rotate-waitpoint-secret: check order, texts and answers") {
  running_server s;
  auto c = s.client();
  const std::string path = "/v1/admin/rotate-waitpoint-secret";
  s.gateway.configure([](auto& a) { a.rotation = {8, {}, ""}; });
  auto ok = c.post(path, R"({"new_kid":"k2","new_secret_hex":"00ff"})");
  CHECK(ok.status == 200);
  CHECK(ok.body == R"({"rotated":8,"failed":[],"new_kid":"k2"})");
  auto calls = s.gateway.calls();
  REQUIRE(calls.rotate.size() == 1);
  CHECK(calls.rotate[0] == std::make_pair(std::string("k2"), std::string("00ff")));

  s.gateway.configure([](auto& a) { a.rotation = {6, {3, 5}, "k2"}; });
  CHECK(c.post(path, R"({"new_kid":"k2","new_secret_hex":"00ff"})").body ==
        R"({"rotated":6,"failed":[3,5],"new_kid":"k2"})");
  s.gateway.configure([](auto& a) { a.rotation = {0, {0, 1}, "k2"}; });
  auto all_failed = c.post(path, R"({"new_kid":"k2","new_secret_hex":"00ff"})");
  CHECK(all_failed.status == 400);
  CHECK(all_failed.body.find(R"x("error":"rotation failed on all partitions (check Valkey connectivity)")x") != std::string::npos);
  s.gateway.configure([](auto& a) { a.rotation = {0, {}, "k2"}; });
  auto none = c.post(path, R"({"new_kid":"k2","new_secret_hex":"00ff"})");
  CHECK(none.status == 400);
  CHECK(none.body.find("rotation had no partitions to operate on") != std::string::npos);

  s.gateway.fail_next(engine_error::resource_exhausted("admin_rotate", 1));
  auto busy = c.post(path, R"({"new_kid":"k2","new_secret_hex":"00ff"})");
  CHECK(busy.status == 429);
  CHECK(busy.body == R"({"error":"too many concurrent admin_rotate calls (server max: 1); retry with backoff","retryable":true})");
  s.gateway.fail_next(engine_error::timeout("rotation"));
  auto slow = c.post(path, R"({"new_kid":"k2","new_secret_hex":"00ff"})");
  CHECK(slow.status == 504);
  CHECK(slow.body.find("rotation exceeded 120s server-side timeout") != std::string::npos);

  auto before = s.gateway.call_count();
  const std::string kid_text = R"("error":"new_kid must be non-empty and must not contain ':'")";
  const std::string hex_text = R"("error":"new_secret_hex must be a non-empty even-length hex string")";
  // The kid is checked before the secret.
  CHECK(c.post(path, R"({"new_kid":"","new_secret_hex":"zz"})").body.find(kid_text) != std::string::npos);
  CHECK(c.post(path, R"({"new_kid":"a:b","new_secret_hex":"00"})").body.find(kid_text) != std::string::npos);
  CHECK(c.post(path, R"({"new_kid":"k","new_secret_hex":""})").body.find(hex_text) != std::string::npos);
  CHECK(c.post(path, R"({"new_kid":"k","new_secret_hex":"abc"})").body.find(hex_text) != std::string::npos);
  CHECK(c.post(path, R"({"new_kid":"k","new_secret_hex":"zz"})").status == 400);
  CHECK(c.post(path, R"({"new_kid":"k"})").status == 422);
  CHECK(c.post(path, R"({"new_kid":1,"new_secret_hex":"00"})").status == 422);
  CHECK(c.post(path, "{").status == 400);
  CHECK(s.gateway.call_count() == before);
}
