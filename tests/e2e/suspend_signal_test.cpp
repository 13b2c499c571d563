// Suspension and signals end to end (execution-model.md §7, decisions.md
// §5.1, rest-api.md §3.5/§3.6/§3.9/§3.27): a real node on a real
// redis-server, driven over HTTP the way a worker, a signaller and an
// operator would.

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <vector>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

struct waitpoint {
  std::string id, key, token;
};

std::string kind_of(const http_response& res) {
  auto doc = parse_json(res.body);
  return doc.IsObject() && doc.HasMember("kind") ? doc["kind"].GetString() : "";
}

held_lease start(http_client& client, std::uint16_t partition = 2) {
  return create_and_acquire(client, partition, {}, "worker-s");
}

std::vector<waitpoint> waitpoints_of(const http_response& res) {
  std::vector<waitpoint> out;
  auto doc = parse_json(res.body);
  for (auto& w : doc["waitpoints"].GetArray())
    out.push_back({json_string(w, "waitpoint_id"), json_string(w, "waitpoint_key"),
                   json_string(w, "waitpoint_token")});
  return out;
}

// Suspends on fresh waitpoints named `keys` under `condition`.
http_response suspend(http_client& client, const held_lease& lease,
                      const std::vector<std::string>& keys, const std::string& condition,
                      const std::string& extra = {}) {
  std::string wps = "[";
  for (const auto& k : keys) wps += (wps.size() > 1 ? "," : "") + std::string(R"({"waitpoint_key":")") + k + "\"}";
  wps += "]";
  std::string body = R"("waitpoints":)" + wps + R"(,"resume_condition":)" + condition;
  if (!extra.empty()) body += "," + extra;
  return client.post(exec_path(lease.execution_id, "/suspend"), lease.fence(body));
}

std::string single(const std::string& key) {
  return R"({"type":"single","waitpoint_key":")" + key + R"("})";
}

// An execution acquired and suspended on one fresh waitpoint `key`.
struct suspended_one {
  held_lease lease;
  waitpoint wp;
};

std::string signal_body(const std::string& eid, const std::string& wp_id, const std::string& token,
                        const std::string& source = "alice", const std::string& idem = {},
                        const std::string& name = "approve") {
  std::string b = R"({"execution_id":")" + eid + R"(","waitpoint_id":")" + wp_id +
                  R"(","signal_id":")" + uuid::random_v4().str() + R"(","signal_name":")" + name +
                  R"(","signal_category":"user","source_type":"human","source_identity":")" +
                  source + R"(","target_scope":"waitpoint","payload":[111,107],"waitpoint_token":")" +
                  token + R"(","now":)" + std::to_string(now_ms());
  if (!idem.empty()) b += R"(,"idempotency_key":")" + idem + "\"";
  return b + "}";
}

http_response send_signal(http_client& client, const std::string& eid, const waitpoint& wp,
                     const std::string& source = "alice", const std::string& idem = {}) {
  return client.post(exec_path(eid, "/signal"), signal_body(eid, wp.id, wp.token, source, idem));
}

std::string effect_of(const http_response& res) {
  auto doc = parse_json(res.body);
  if (!doc.IsObject() || !doc.HasMember("Accepted")) return "<" + res.body + ">";
  return json_string(doc["Accepted"], "effect");
}

// A token with the right shape and kid but a wrong MAC.
std::string forged(const std::string& token) {
  auto colon = token.find(':');
  std::string out = token;
  out[colon + 1] = out[colon + 1] == '0' ? '1' : '0';
  return out;
}

std::string rotate_body(const std::string& kid, const std::string& hex) {
  return R"({"new_kid":")" + kid + R"(","new_secret_hex":")" + hex + R"("})";
}

const std::string rotate_path = "/v1/admin/rotate-waitpoint-secret";
const std::string secret2 = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

suspended_one suspend_on(http_client& client, const std::string& key) {
  auto lease = start(client);
  auto s = suspend(client, lease, {key}, single(key));
  REQUIRE_MESSAGE(s.status == 200, s.body);
  return {lease, waitpoints_of(s).at(0)};
}

} // namespace

TEST_CASE("suspend, signal with the token, resumed acquire with the signal, complete") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto lease = start(client);
  auto s = suspend(client, lease, {"approval"}, single("approval"));
  REQUIRE_MESSAGE(s.status == 200, s.body);
  auto doc = parse_json(s.body);
  CHECK(json_string(doc, "status") == "suspended");
  CHECK(uuid::parse(json_string(doc, "suspension_id")));
  auto wps = waitpoints_of(s);
  REQUIRE(wps.size() == 1);
  CHECK(wps[0].key == "approval");
  CHECK(uuid::parse(wps[0].id));
  CHECK(wps[0].token.size() > 65);
  CHECK(state_of(client, lease.execution_id) == "suspended");

  // The operator views: the listing (no raw token) and the token route.
  auto listing = client.get(exec_path(lease.execution_id, "/pending-waitpoints"));
  REQUIRE(listing.status == 200);
  auto list = parse_json(listing.body);
  REQUIRE(list.IsArray());
  REQUIRE(list.Size() == 1);
  CHECK(json_string(list[0], "waitpoint_id") == wps[0].id);
  CHECK(json_string(list[0], "state") == "active");
  CHECK(json_string(list[0], "token_kid") == wps[0].token.substr(0, wps[0].token.find(':')));
  CHECK(listing.body.find(wps[0].token) == std::string::npos);
  CHECK(listing.header("x-next-cursor").empty());
  auto token = client.get(exec_path(lease.execution_id, "/waitpoints/" + wps[0].id + "/token"));
  CHECK(token.status == 200);
  CHECK(token.header("cache-control") == "no-store");
  CHECK(json_string(parse_json(token.body), "token") == wps[0].token);

  // Nothing to acquire while suspended.
  CHECK(acquire(client, "worker-s").status == 204);

  auto sig = send_signal(client, lease.execution_id, wps[0]);
  REQUIRE_MESSAGE(sig.status == 200, sig.body);
  CHECK(effect_of(sig) == "resume_condition_satisfied");
  auto sig_id = json_string(parse_json(sig.body)["Accepted"], "signal_id");

  auto resumed = acquire(client, "worker-s");
  REQUIRE_MESSAGE(resumed.status == 200, resumed.body);
  auto r = parse_json(resumed.body);
  CHECK(json_string(r, "execution_id") == lease.execution_id);
  CHECK(json_string(r, "attempt_type") == "resumed");
  REQUIRE(r.HasMember("signals"));
  REQUIRE(r["signals"].Size() == 1);
  CHECK(json_string(r["signals"][0], "signal_id") == sig_id);
  CHECK(json_string(r["signals"][0], "signal_name") == "approve");
  CHECK(json_string(r["signals"][0], "source_identity") == "alice");
  REQUIRE(r["signals"][0]["payload"].Size() == 2);
  CHECK(r["signals"][0]["payload"][0].GetInt() == 111);
  auto again = parse_lease(resumed.body);
  auto done = client.post(exec_path(lease.execution_id, "/complete"), again.fence(R"("result":"b2s=")"));
  CHECK_MESSAGE(done.status == 200, done.body);
  CHECK(state_of(client, lease.execution_id) == "completed");

  // The closed waitpoint's token is gone; a late signal changes nothing.
  auto gone = client.get(exec_path(lease.execution_id, "/waitpoints/" + wps[0].id + "/token"));
  CHECK(gone.status == 404);
  CHECK(gone.header("cache-control") == "no-store");
  CHECK(send_signal(client, lease.execution_id, wps[0]).status >= 400);
  CHECK(state_of(client, lease.execution_id) == "completed");
}

TEST_CASE("resume conditions: all_of needs both, any_of the first, count ignores a repeated source") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  SUBCASE("all_of") {
    auto lease = start(client);
    auto s = suspend(client, lease, {"a", "b"},
                     R"({"type":"all_of","members":[)" + single("a") + "," + single("b") + "]}");
    REQUIRE_MESSAGE(s.status == 200, s.body);
    auto wps = waitpoints_of(s);
    REQUIRE(wps.size() == 2);
    CHECK(effect_of(send_signal(client, lease.execution_id, wps[0])) == "appended_to_waitpoint");
    CHECK(state_of(client, lease.execution_id) == "suspended");
    CHECK(acquire(client, "worker-s").status == 204);
    CHECK(effect_of(send_signal(client, lease.execution_id, wps[1])) == "resume_condition_satisfied");
    auto resumed = acquire(client, "worker-s");
    REQUIRE(resumed.status == 200);
    CHECK(parse_json(resumed.body)["signals"].Size() == 2);
  }
  SUBCASE("any_of") {
    auto lease = start(client);
    auto s = suspend(client, lease, {"a", "b"}, R"({"type":"any_of","waitpoint_keys":["a","b"]})");
    REQUIRE_MESSAGE(s.status == 200, s.body);
    auto wps = waitpoints_of(s);
    CHECK(effect_of(send_signal(client, lease.execution_id, wps[1])) == "resume_condition_satisfied");
    auto resumed = acquire(client, "worker-s");
    REQUIRE(resumed.status == 200);
    CHECK(json_string(parse_json(resumed.body), "attempt_type") == "resumed");
  }
  SUBCASE("count distinct_sources") {
    auto lease = start(client);
    auto s = suspend(client, lease, {"votes"},
                     R"({"type":"count","n":2,"count_kind":"distinct_sources","waitpoint_keys":["votes"]})");
    REQUIRE_MESSAGE(s.status == 200, s.body);
    auto wps = waitpoints_of(s);
    CHECK(effect_of(send_signal(client, lease.execution_id, wps[0], "alice")) == "appended_to_waitpoint");
    auto repeat = send_signal(client, lease.execution_id, wps[0], "alice");
    CHECK(repeat.status == 200);
    CHECK(effect_of(repeat) != "resume_condition_satisfied");
    CHECK(state_of(client, lease.execution_id) == "suspended");
    CHECK(effect_of(send_signal(client, lease.execution_id, wps[0], "bob")) == "resume_condition_satisfied");
    CHECK(acquire(client, "worker-s").status == 200);
  }
}

TEST_CASE("duplicate signal answers Duplicate and counts once") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  auto lease = start(client);
  auto s = suspend(client, lease, {"votes"},
                   R"({"type":"count","n":2,"count_kind":"distinct_signals","waitpoint_keys":["votes"]})");
  REQUIRE_MESSAGE(s.status == 200, s.body);
  auto wps = waitpoints_of(s);
  auto first = send_signal(client, lease.execution_id, wps[0], "alice", "idem-1");
  REQUIRE(first.status == 200);
  auto first_id = json_string(parse_json(first.body)["Accepted"], "signal_id");
  auto dup = send_signal(client, lease.execution_id, wps[0], "bob", "idem-1");
  CHECK(dup.status == 200);
  CHECK(dup.body == R"({"Duplicate":{"existing_signal_id":")" + first_id + "\"}}");
  CHECK(state_of(client, lease.execution_id) == "suspended");
  CHECK(effect_of(send_signal(client, lease.execution_id, wps[0], "carol", "idem-2")) ==
        "resume_condition_satisfied");
}

TEST_CASE("tokens: forged, another waitpoint's, unknown waitpoint all answer invalid_token alike") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  auto lease = start(client);
  auto s = suspend(client, lease, {"a", "b"}, R"({"type":"any_of","waitpoint_keys":["a","b"]})");
  REQUIRE_MESSAGE(s.status == 200, s.body);
  auto wps = waitpoints_of(s);
  const auto eid = lease.execution_id;

  auto bad = send_signal(client, eid, {wps[0].id, "a", forged(wps[0].token)});
  CHECK(bad.status == 400);
  CHECK(kind_of(bad) == "invalid_token");
  auto other = send_signal(client, eid, {wps[0].id, "a", wps[1].token});
  CHECK(other.status == 400);
  CHECK(other.body == bad.body);
  auto garbage = send_signal(client, eid, {wps[0].id, "a", "nokid"});
  CHECK(garbage.status == 400);
  CHECK(garbage.body == bad.body);
  auto unknown = send_signal(client, eid, {uuid::random_v4().str(), "x", forged(wps[0].token)});
  CHECK(unknown.status == bad.status);
  CHECK(unknown.body == bad.body);
  CHECK(unknown.header("content-type") == bad.header("content-type"));
  auto empty = send_signal(client, eid, {wps[0].id, "a", ""});
  CHECK(empty.status == 400);
  CHECK(kind_of(empty) == "invalid_input");
  CHECK(state_of(client, eid) == "suspended");
  // The real token still works afterwards.
  CHECK(effect_of(send_signal(client, eid, wps[0])) == "resume_condition_satisfied");
}

TEST_CASE("rotation: the previous kid is accepted inside the grace, refused after it") {
  redis_server redis;
  SUBCASE("large grace") {
    auto env = node_env(redis);
    env["FF_WAITPOINT_HMAC_GRACE_MS"] = "600000";
    node_process node(env);
    http_client client("127.0.0.1", node.port());
    auto lease = start(client);
    auto s = suspend(client, lease, {"a"}, single("a"));
    REQUIRE_MESSAGE(s.status == 200, s.body);
    auto wps = waitpoints_of(s);
    auto rot = client.post(rotate_path, rotate_body("kid-2", secret2));
    REQUIRE_MESSAGE(rot.status == 200, rot.body);
    auto report = parse_json(rot.body);
    CHECK(report["rotated"].GetUint() == 8);
    CHECK(report["failed"].Size() == 0);
    CHECK(json_string(report, "new_kid") == "kid-2");
    // Same kid and secret again: a no-op success.
    CHECK(client.post(rotate_path, rotate_body("kid-2", secret2)).status == 200);
    CHECK(effect_of(send_signal(client, lease.execution_id, wps[0])) == "resume_condition_satisfied");
    // New suspensions get tokens of the new kid.
    auto l2 = parse_lease(acquire(client, "worker-s").body);
    CHECK(client.post(exec_path(l2.execution_id, "/complete"), l2.fence()).status == 200);
    auto l3 = start(client, 4);
    auto s3 = suspend(client, l3, {"b"}, single("b"));
    REQUIRE(s3.status == 200);
    CHECK(waitpoints_of(s3)[0].token.rfind("kid-2:", 0) == 0);
  }
  SUBCASE("grace of 1 ms") {
    auto env = node_env(redis);
    env["FF_WAITPOINT_HMAC_GRACE_MS"] = "1";
    node_process node(env);
    http_client client("127.0.0.1", node.port());
    auto lease = start(client);
    auto s = suspend(client, lease, {"a"}, single("a"));
    REQUIRE_MESSAGE(s.status == 200, s.body);
    auto wps = waitpoints_of(s);
    auto rot = client.post(rotate_path, rotate_body("kid-2", secret2));
    REQUIRE_MESSAGE(rot.status == 200, rot.body);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto late = send_signal(client, lease.execution_id, wps[0]);
    // A genuine token of a kid past its grace: expired, not forged
    // (decisions.md §2: 400 invalid_input).
    CHECK(late.status == 400);
    CHECK(kind_of(late) == "invalid_input");
    CHECK(json_string(parse_json(late.body), "error").find("token_expired") == 0);
    CHECK(late.header("retry-after").empty());
    // A forged token naming the retired kid is still invalid_token.
    auto forged_late = send_signal(client, lease.execution_id, {wps[0].id, "a", forged(wps[0].token)});
    CHECK(forged_late.status == 400);
    CHECK(kind_of(forged_late) == "invalid_token");
    CHECK(state_of(client, lease.execution_id) == "suspended");
  }
}

TEST_CASE("rotation: bad input, and of six concurrent rotations one runs, five get 429") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto no_kid = client.post(rotate_path, rotate_body("", secret2));
  CHECK(no_kid.status == 400);
  CHECK(json_string(parse_json(no_kid.body), "error") == "new_kid must be non-empty and must not contain ':'");
  CHECK(client.post(rotate_path, rotate_body("a:b", secret2)).status == 400);
  auto odd = client.post(rotate_path, rotate_body("k", "abc"));
  CHECK(odd.status == 400);
  CHECK(json_string(parse_json(odd.body), "error") == "new_secret_hex must be a non-empty even-length hex string");
  CHECK(client.post(rotate_path, rotate_body("k", "zz")).status == 400);
  CHECK(client.post(rotate_path, R"({"new_kid":"k"})").status == 422);

  // The store holds every write while paused, so whichever rotation takes
  // the node's single permit first is stuck in it until the pause is lifted:
  // the other five are refused whatever the speed of the run.
  REQUIRE(redis.command({"CLIENT", "PAUSE", "20000", "WRITE"}) == "+OK");
  std::vector<std::future<http_response>> calls;
  for (int i = 0; i < 6; ++i)
    calls.push_back(std::async(std::launch::async, [&node, i] {
      http_client c("127.0.0.1", node.port());
      return c.post(rotate_path, rotate_body("kid-c" + std::to_string(i), secret2));
    }));
  auto answered = [&] {
    int n = 0;
    for (auto& f : calls) n += f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    return n;
  };
  bool five_answered = eventually([&] { return answered() >= 5; }, std::chrono::seconds(10));
  REQUIRE(redis.command({"CLIENT", "UNPAUSE"}) == "+OK");
  REQUIRE_MESSAGE(five_answered, "the refused rotations did not answer while the store was paused");
  int ok = 0, busy = 0;
  for (auto& f : calls) {
    auto r = f.get();
    if (r.status == 200) {
      ++ok;
      CHECK(parse_json(r.body)["rotated"].GetUint() == 8);
    } else if (r.status == 429) {
      ++busy;
      CHECK(r.body == R"({"error":"too many concurrent admin_rotate calls (server max: 1); retry with backoff","retryable":true})");
    } else {
      FAIL_CHECK("unexpected " << r.status << " " << r.body);
    }
  }
  CHECK(ok == 1);
  CHECK(busy == 5);
}

TEST_CASE("a parked long-poll acquire is woken by the signal that resumes the execution") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  auto lease = start(client);
  auto s = suspend(client, lease, {"a"}, single("a"));
  REQUIRE_MESSAGE(s.status == 200, s.body);
  auto wps = waitpoints_of(s);

  auto parked = std::async(std::launch::async, [&node] {
    http_client c("127.0.0.1", node.port());
    return acquire(c, "worker-p", R"("wait_ms":10000)");
  });
  REQUIRE_MESSAGE(parked_claims_reach(client, 1), "the acquire never parked");
  CHECK(effect_of(send_signal(client, lease.execution_id, wps[0])) == "resume_condition_satisfied");
  auto got = parked.get();
  REQUIRE_MESSAGE(got.status == 200, got.body); // woken: the wait would have ended in 204
  CHECK(json_string(parse_json(got.body), "attempt_type") == "resumed");
}

TEST_CASE("suspension timeout: fail and auto_resume") {
  redis_server redis;
  auto env = node_env(redis);
  env["FF_SUSPENSION_TIMEOUT_INTERVAL_S"] = "1";
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  auto failing = start(client, 1);
  REQUIRE(suspend(client, failing, {"a"}, single("a"), R"("timeout_ms":300,"timeout_behavior":"fail")").status == 200);
  auto resuming = start(client, 5);
  REQUIRE(suspend(client, resuming, {"a"}, single("a"), R"("timeout_ms":300,"timeout_behavior":"auto_resume")").status == 200);

  CHECK(eventually([&] { return state_of(client, failing.execution_id) == "failed"; },
                   std::chrono::seconds(6)));
  CHECK(eventually([&] { return state_of(client, resuming.execution_id) != "suspended"; },
                   std::chrono::seconds(6)));
  auto resumed = acquire(client, "worker-s", R"("wait_ms":3000)");
  REQUIRE_MESSAGE(resumed.status == 200, resumed.body);
  auto r = parse_json(resumed.body);
  CHECK(json_string(r, "execution_id") == resuming.execution_id);
  CHECK(json_string(r, "attempt_type") == "resumed");
  CHECK(r["signals"].Size() == 0);
}

TEST_CASE("pending waitpoints: create, buffer, activate, expire") {
  redis_server redis;
  auto env = node_env(redis);
  env["FF_PENDING_WP_EXPIRY_INTERVAL_S"] = "1";
  node_process node(env);
  http_client client("127.0.0.1", node.port());
  auto lease = start(client);
  const auto eid = lease.execution_id;

  auto keep = client.post(exec_path(eid, "/waitpoints"), lease.fence(R"("waitpoint_key":"later")"));
  REQUIRE_MESSAGE(keep.status == 200, keep.body);
  auto kept = parse_json(keep.body);
  waitpoint pending{json_string(kept, "waitpoint_id"), json_string(kept, "waitpoint_key"),
                    json_string(kept, "waitpoint_token")};
  CHECK(pending.key == "later");
  auto brief = client.post(exec_path(eid, "/waitpoints"), lease.fence(R"("expires_in_ms":200)"));
  REQUIRE_MESSAGE(brief.status == 200, brief.body);
  auto brief_id = json_string(parse_json(brief.body), "waitpoint_id");

  // Both listed as pending; one page of 1 gives the cursor header.
  auto page1 = client.get(exec_path(eid, "/pending-waitpoints?limit=1"));
  REQUIRE(page1.status == 200);
  CHECK(parse_json(page1.body).Size() == 1);
  auto next = page1.header("x-next-cursor");
  CHECK_FALSE(next.empty());
  auto page2 = client.get(exec_path(eid, "/pending-waitpoints?limit=1&cursor=" + next));
  REQUIRE(page2.status == 200);
  REQUIRE(parse_json(page2.body).Size() == 1);
  CHECK(json_string(parse_json(page2.body)[0], "waitpoint_id") != json_string(parse_json(page1.body)[0], "waitpoint_id"));
  CHECK(json_string(parse_json(page2.body)[0], "state") == "pending");

  // The short one expires.
  CHECK(eventually([&] {
    auto t = client.get(exec_path(eid, "/waitpoints/" + brief_id + "/token"));
    return t.status == 404;
  }, std::chrono::seconds(6)));
  auto listed = parse_json(client.get(exec_path(eid, "/pending-waitpoints")).body);
  CHECK(listed.Size() == 1);

  // A signal to the pending one is buffered, then activation is already satisfied.
  auto buffered = send_signal(client, eid, pending);
  REQUIRE_MESSAGE(buffered.status == 200, buffered.body);
  auto act = client.post(exec_path(eid, "/suspend"),
                         lease.fence(R"("waitpoints":[{"waitpoint_id":")" + pending.id +
                                     R"("}],"resume_condition":{"type":"single","waitpoint_key":"later"})"));
  REQUIRE_MESSAGE(act.status == 200, act.body);
  auto a = parse_json(act.body);
  CHECK(json_string(a, "status") == "already_satisfied");
  CHECK(a["signals"].Size() == 1);
  CHECK(state_of(client, eid) == "active");
}

TEST_CASE("bad input on every suspension route: 4xx and nothing changed") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  auto lease = start(client);
  const auto eid = lease.execution_id;

  // suspend
  CHECK(suspend(client, lease, {}, R"({"type":"operator_only"})").status == 400);
  CHECK(suspend(client, lease, {"a", "a"}, single("a")).status == 400);
  CHECK(suspend(client, lease, {"a"}, single("zz")).status == 400);
  CHECK(suspend(client, lease, {"a"}, single("a"), R"("timeout_behavior":"explode")").status == 400);
  CHECK(suspend(client, lease, {"a"}, R"({"type":"timeout_only"})").status == 400);
  CHECK(suspend(client, lease, {"a"}, R"("nope")").status == 422);
  CHECK(client.post(exec_path(eid, "/suspend"), R"({"waitpoints":[]})").status == 422);
  CHECK(client.post("/v1/executions/nope/suspend",
                    lease.fence(R"("waitpoints":[{"waitpoint_key":"a"}],"resume_condition":)" + single("a")))
            .status == 400);
  held_lease stale = lease;
  stale.lease_epoch += 7;
  auto st = suspend(client, stale, {"a"}, single("a"));
  CHECK(st.status == 409);
  // waitpoints
  CHECK(client.post(exec_path(eid, "/waitpoints"), lease.fence(R"("expires_in_ms":0)")).status == 400);
  CHECK(client.post(exec_path(eid, "/waitpoints"), lease.fence(R"("waitpoint_key":"")")).status == 400);
  CHECK(client.post(exec_path(eid, "/waitpoints"), "{}").status == 422);
  // signal
  auto sig_path = exec_path(eid, "/signal");
  CHECK(client.post(sig_path, "{}").status == 422);
  CHECK(client.post(sig_path, "{").status == 400);
  CHECK(client.post(sig_path, signal_body(eid, "nope", "k:x")).status == 422);
  CHECK(client.post(sig_path, signal_body(execution_id::mint(3).value, uuid::random_v4().str(), "k:x")).status == 400);
  // listing and token
  CHECK(client.get(exec_path(eid, "/pending-waitpoints?limit=0")).status == 400);
  CHECK(client.get(exec_path(eid, "/pending-waitpoints?limit=1001")).status == 400);
  CHECK(client.get(exec_path(eid, "/pending-waitpoints?cursor=zz")).status == 400);
  CHECK(client.get(exec_path(eid, "/waitpoints/nope/token")).status == 400);
  auto missing = client.get(exec_path(eid, "/waitpoints/" + uuid::random_v4().str() + "/token"));
  CHECK(missing.status == 404);
  CHECK(missing.header("cache-control") == "no-store");
  CHECK(client.get(exec_path(execution_id::mint(3).value, "/pending-waitpoints")).status == 404);

  // Nothing changed: still active under the same lease, no waitpoints.
  CHECK(state_of(client, eid) == "active");
  CHECK(client.get(exec_path(eid, "/pending-waitpoints")).body == "[]");
  CHECK(client.post(exec_path(eid, "/complete"), lease.fence()).status == 200);
}

TEST_CASE("a signal retried after it closed its waitpoint answers its first delivery") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  auto [lease, wp] = suspend_on(client, "approval");
  const std::vector<waitpoint> wps{wp};
  const auto eid = lease.execution_id;
  const auto body = signal_body(eid, wp.id, wp.token, "alice", "retry-me");
  auto first = client.post(exec_path(eid, "/signal"), body);
  REQUIRE(first.status == 200);
  CHECK(effect_of(first) == "resume_condition_satisfied");
  auto first_id = json_string(parse_json(first.body)["Accepted"], "signal_id");
  const std::string duplicate = R"({"Duplicate":{"existing_signal_id":")" + first_id + "\"}}";

  // The client timed out and retries blindly: the very same request, then
  // the same key under a fresh signal id. Both learn the first was taken.
  auto again = client.post(exec_path(eid, "/signal"), body);
  CHECK(again.status == 200);
  CHECK(again.body == duplicate);
  auto same_key = send_signal(client, eid, wps[0], "alice", "retry-me");
  CHECK(same_key.status == 200);
  CHECK(same_key.body == duplicate);
  // Even after the resumed execution finished.
  auto resumed = parse_lease(acquire(client, "worker-s").body);
  REQUIRE(client.post(exec_path(eid, "/complete"), resumed.fence()).status == 200);
  auto after_end = send_signal(client, eid, wps[0], "alice", "retry-me");
  CHECK(after_end.status == 200);
  CHECK(after_end.body == duplicate);
  // A new key is a new signal, and the closed waitpoint refuses it.
  auto fresh = send_signal(client, eid, wps[0], "alice", "another");
  CHECK(fresh.status == 409);
}

TEST_CASE("signal payloads are bytes: every value 0-255 reaches the resumed attempt unchanged") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());
  auto [lease, wp] = suspend_on(client, "data");
  std::string all = "[";
  for (int b = 0; b < 256; ++b) all += (b ? "," : "") + std::to_string(b);
  all += "]";
  auto body = signal_body(lease.execution_id, wp.id, wp.token);
  const std::string usual = R"("payload":[111,107])";
  body.replace(body.find(usual), usual.size(), R"("payload":)" + all);
  auto sent = client.post(exec_path(lease.execution_id, "/signal"), body);
  REQUIRE_MESSAGE(sent.status == 200, sent.body);
  auto resumed = acquire(client, "worker-s");
  REQUIRE(resumed.status == 200);
  auto doc = parse_json(resumed.body);
  REQUIRE(doc["signals"].Size() == 1);
  const auto& payload = doc["signals"][0]["payload"];
  std::string got = "[";
  for (rapidjson::SizeType i = 0; i < payload.Size(); ++i)
    got += (i ? "," : "") + std::to_string(payload[i].GetUint());
  got += "]";
  CHECK(got == all);
}
