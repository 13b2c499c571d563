// The HTTP layer spoken to over a real loopback socket, with a fake engine.

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>
#include <chrono>

#include "http/metrics.hpp"
#include "http/routes.hpp"
#include "http/server.hpp"
#include "tests/http/fake_gateway.hpp"
#include "tests/http/running_server.hpp"
#include "tests/support/http_client.hpp"

using namespace ff;
using test::eid1;
using test::eid1_path;
using test::running_server;
using namespace std::chrono_literals;

namespace {

constexpr const char* token = "s3cret-token";
using test::base_config;

std::map<std::string, std::string> bearer(const std::string& t = token) {
  return {{"Authorization", "Bearer " + t}};
}

std::string create_body(const std::string& extra = {}) {
  std::string body = R"({"namespace":"ns","lane_id":"default","execution_kind":"k",)"
                     R"("input_payload":[123,125],"priority":5,"creator_identity":"me")";
  if (!extra.empty()) body += "," + extra;
  return body + "}";
}

std::string raw_request(const std::string& method, const std::string& target,
                        const std::string& headers, const std::string& body = {}) {
  return method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "\r\n" + body;
}

std::string chunked(const std::string& data, std::size_t chunk) {
  std::string out;
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < data.size(); i += chunk) {
    auto n = std::min(chunk, data.size() - i);
    std::string size;
    for (auto v = n; v; v >>= 4) size.insert(size.begin(), hex[v & 15]);
    out += size + "\r\n" + data.substr(i, n) + "\r\n";
  }
  return out + "0\r\n\r\n";
}

} // namespace

TEST_CASE("healthz, metrics, 404, 405, HEAD") {
  running_server s;
  auto c = s.client();

  auto health = c.get("/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == R"({"status":"ok"})");
  CHECK(health.header("content-type") == "application/json");
  CHECK(health.header("access-control-allow-origin") == "*");

  auto missing = c.get("/v1/nope");
  CHECK(missing.status == 404);
  CHECK(missing.body.empty());
  CHECK(c.get("/v1/executions/").status == 404); // no trailing-slash aliasing
  CHECK(c.get("/healthz/").status == 404);

  auto wrong = c.request("DELETE", "/v1/executions");
  CHECK(wrong.status == 405);
  CHECK(wrong.body.empty());
  CHECK(wrong.header("allow") == "GET, HEAD, POST");
  CHECK(c.post("/healthz", "{}").status == 405);

  auto head = c.request("HEAD", "/healthz");
  CHECK(head.status == 200);
  CHECK(head.header("content-length") == std::to_string(std::string(R"({"status":"ok"})").size()));
  CHECK(c.get("/healthz").status == 200); // the connection is still in sync after HEAD

  auto metrics = c.get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(metrics.header("access-control-allow-origin").empty());
  CHECK(metrics.body.find(R"(ff_http_requests_total{method="GET",path="/healthz",status="200"} 2)") !=
        std::string::npos);
  CHECK(metrics.body.find(R"(ff_http_requests_total{method="GET",path="unknown",status="404"})") !=
        std::string::npos);
  CHECK(metrics.body.find(R"(ff_http_requests_total{method="DELETE",path="/v1/executions",status="405"} 1)") !=
        std::string::npos);
  CHECK(metrics.body.find(R"(ff_http_request_duration_seconds_count{method="HEAD",path="/healthz",status="200"} 1)") !=
        std::string::npos);
}

TEST_CASE("healthz maps a store failure") {
  running_server s;
  s.gateway.fail_next(engine_error::transport("connection refused"));
  auto c = s.client();
  auto r = c.get("/healthz");
  CHECK(r.status == 503);
  CHECK(r.body == R"({"error":"backend: connection refused","kind":"unavailable","retryable":true})");
}

TEST_CASE("auth: every route needs the token except /healthz and /metrics") {
  auto cfg = base_config();
  cfg.api_token = token;
  running_server s(cfg);
  auto c = s.client();

  for (const auto& route : route_table()) {
    std::string path = test::route_path(route.path);
    CAPTURE(route.method);
    CAPTURE(path);
    bool exempt = path == "/healthz" || path == "/metrics";
    auto none = c.request(route.method, path, "{}");
    if (exempt) {
      CHECK(none.status == 200);
      continue;
    }
    CHECK(none.status == 401);
    CHECK(none.body == R"({"error":"missing or invalid Authorization header"})");
    CHECK(none.header("www-authenticate").empty());
    CHECK(c.request(route.method, path, "{}", bearer("wrong-token!")).status == 401);
    CHECK(c.request(route.method, path, "{}", {{"Authorization", std::string("bearer ") + token}})
              .status == 401);
    CHECK(c.request(route.method, path, "{}", bearer()).status != 401);
  }

  SUBCASE("unknown paths: 401 without a token, 404 with it") {
    CHECK(c.get("/v1/nope").status == 401);
    CHECK(c.get("/v1/nope", bearer()).status == 404);
    CHECK(c.request("DELETE", "/v1/executions").status == 401);
    CHECK(c.request("DELETE", "/v1/executions", {}, bearer()).status == 405);
  }
  SUBCASE("auth runs before the size gate") {
    auto r = c.raw(raw_request("POST", "/v1/flows",
                               "Content-Type: application/json\r\nContent-Length: 70000\r\n"));
    CHECK(r.status == 401);
  }
  SUBCASE("preflight needs no token") {
    auto r = c.request("OPTIONS", "/v1/executions", {},
                       {{"Origin", "https://a.example"}, {"Access-Control-Request-Method", "POST"}});
    CHECK(r.status == 200);
  }

  auto metrics = c.get("/metrics").body;
  CHECK(metrics.find(R"(ff_http_requests_total{method="POST",path="/v1/flows",status="401"})") !=
        std::string::npos);
}

TEST_CASE("CORS allow-list over the wire") {
  auto cfg = base_config();
  cfg.cors_origins = {"https://a.example"};
  cfg.api_token = token;
  running_server s(cfg);
  auto c = s.client();

  auto ok = c.get("/healthz", {{"Origin", "https://a.example"}});
  CHECK(ok.header("access-control-allow-origin") == "https://a.example");
  CHECK(ok.header("vary").find("origin") != std::string::npos);
  auto other = c.get("/healthz", {{"Origin", "https://evil.example"}});
  CHECK(other.status == 200); // still processed
  CHECK(other.header("access-control-allow-origin").empty());

  auto pre = c.request("OPTIONS", "/v1/executions/" + eid1_path, {},
                       {{"Origin", "https://a.example"},
                        {"Access-Control-Request-Method", "PUT"},
                        {"Access-Control-Request-Headers", "authorization"}});
  CHECK(pre.status == 200);
  CHECK(pre.body.empty());
  CHECK(pre.header("access-control-allow-origin") == "https://a.example");
  CHECK(pre.header("access-control-allow-methods") == "GET, POST, PUT");
  CHECK(pre.header("access-control-allow-headers") == "content-type, authorization");
  CHECK(pre.header("vary") ==
        "origin, access-control-request-method, access-control-request-headers");
  CHECK(pre.header("access-control-allow-credentials").empty());

  auto metrics = c.get("/metrics", {{"Origin", "https://a.example"}});
  CHECK(metrics.header("access-control-allow-origin").empty());
  // An OPTIONS without Access-Control-Request-Method is an ordinary request.
  CHECK(c.request("OPTIONS", "/healthz").status == 405);
}

TEST_CASE("CORS permissive preflight") {
  running_server s;
  auto c = s.client();
  auto pre = c.request("OPTIONS", "/v1/anything", {},
                       {{"Origin", "https://x.example"},
                        {"Access-Control-Request-Method", "DELETE"},
                        {"Access-Control-Request-Headers", "x-custom"}});
  CHECK(pre.status == 200);
  CHECK(pre.header("access-control-allow-origin") == "*");
  CHECK(pre.header("access-control-allow-methods") == "DELETE");
  CHECK(pre.header("access-control-allow-headers") == "x-custom");
}

TEST_CASE("body-size gate: 413 via Content-Length and via chunked") {
  running_server s;
  auto c = s.client();

  SUBCASE("Content-Length over the limit, before the handler") {
    auto r = c.raw(raw_request("POST", "/v1/executions/" + eid1_path + "/cancel",
                               "Content-Type: application/json\r\nContent-Length: 65537\r\n"));
    CHECK(r.status == 413);
    CHECK(r.body ==
          R"({"error":"payload_too_large","limit_bytes":65536,"route":"/v1/executions/{id}/cancel"})");
    auto large = c.raw(raw_request("POST", "/v1/executions",
                                   "Content-Type: application/json\r\nContent-Length: 1048577\r\n"));
    CHECK(large.body ==
          R"({"error":"payload_too_large","limit_bytes":1048576,"route":"/v1/executions"})");
    auto medium = c.raw(raw_request("POST", "/v1/executions/" + eid1_path + "/signal",
                                    "Content-Type: application/json\r\nContent-Length: 262145\r\n"));
    CHECK(medium.body ==
          R"({"error":"payload_too_large","limit_bytes":262144,"route":"/v1/executions/{id}/signal"})");
    auto get = c.raw(raw_request("GET", "/healthz", "Content-Length: 3000000\r\n"));
    CHECK(get.status == 413);
  }
  SUBCASE("exactly the limit is allowed") {
    std::string body(65536, ' ');
    body[0] = '{';
    body[65535] = '}';
    auto r = c.post("/v1/flows", body);
    CHECK(r.status == 503); // reached the (not yet implemented) handler
  }
  SUBCASE("a body sent in full after an early 413 does not break the client") {
    std::string body(70000, 'x');
    auto r = c.raw(raw_request("POST", "/v1/flows",
                               "Content-Type: application/json\r\nContent-Length: 70000\r\n", body));
    CHECK(r.status == 413);
    CHECK(r.header("connection") == "close");
    CHECK(c.get("/healthz").status == 200);
  }
  SUBCASE("chunked body passing the limit") {
    std::string data(70000, ' ');
    auto r = c.raw(raw_request("POST", "/v1/flows",
                               "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
                               chunked(data, 16384)));
    CHECK(r.status == 413);
    CHECK(r.body == R"({"error":"payload_too_large","limit_bytes":65536,"route":"/v1/flows"})");
  }
  SUBCASE("chunked body within the limit reaches the handler") {
    auto r = c.raw(raw_request("POST", "/v1/executions",
                               "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
                               chunked(create_body(), 7)));
    CHECK(r.status == 201);
  }
  auto metrics = c.get("/metrics").body;
  CHECK((metrics.find(R"(status="413")") != std::string::npos ||
         metrics.find(R"(status="503")") != std::string::npos ||
         metrics.find(R"(status="201")") != std::string::npos));
}

TEST_CASE("Expect: 100-continue gets the interim answer; malformed requests get 400") {
  running_server s;
  auto c = s.client();
  auto interim = c.raw(raw_request("POST", "/v1/executions",
                                   "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                                   "Content-Length: " + std::to_string(create_body().size()) + "\r\n",
                                   create_body()));
  CHECK(interim.status == 100);
  // Rejected before the body is read: no 100, straight to the answer.
  auto rejected = c.raw(raw_request("POST", "/v1/flows",
                                    "Expect: 100-continue\r\nContent-Length: 70000\r\n"));
  CHECK(rejected.status == 413);

  auto garbage = c.raw("NOT HTTP AT ALL\r\n\r\n");
  CHECK(garbage.status == 400);
  CHECK(garbage.header("content-type") == "application/json");
  auto huge = c.raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') +
                    "\r\n\r\n");
  CHECK(huge.status == 431);
  CHECK(c.get("/healthz").status == 200);
}

TEST_CASE("JSON body errors: 415, 400, 422") {
  running_server s;
  auto c = s.client();

  auto text = c.post("/v1/executions", create_body(), {{"Content-Type", "text/plain"}});
  CHECK(text.status == 415);
  CHECK(text.body.rfind(R"({"error":"invalid JSON: Unsupported Media Type","kind":"invalid_input","detail":)", 0) == 0);
  auto none = c.raw(raw_request("POST", "/v1/executions", "Content-Length: 2\r\n", "{}"));
  CHECK(none.status == 415);
  auto plus = c.post("/v1/executions", create_body(),
                     {{"Content-Type", "application/vnd.flow+json; charset=utf-8"}});
  CHECK(plus.status == 201);

  auto syntax = c.post("/v1/executions", "{\"namespace\":");
  CHECK(syntax.status == 400);
  CHECK(syntax.body.rfind(R"({"error":"invalid JSON: Bad Request","kind":"invalid_input","detail":)", 0) == 0);
  auto empty = c.raw(raw_request("POST", "/v1/executions",
                                 "Content-Type: application/json\r\nContent-Length: 0\r\n"));
  CHECK(empty.status == 400);

  auto shape = c.post("/v1/executions", R"({"namespace":"ns"})");
  CHECK(shape.status == 422);
  CHECK(shape.body ==
        R"({"error":"invalid JSON: Unprocessable Entity","kind":"invalid_input","detail":"lane_id: missing required field"})");
  auto lane = c.post("/v1/executions", create_body().replace(create_body().find("default"), 7,
                                                              std::string(65, 'x')));
  CHECK(lane.status == 422);
  CHECK(lane.body.find("lane_id: must be 1-64 printable ASCII bytes") != std::string::npos);
  CHECK(s.gateway.created().size() == 1);
}

TEST_CASE("create execution") {
  running_server s;
  auto c = s.client();

  auto minted = c.post("/v1/executions", create_body());
  CHECK(minted.status == 201);
  CHECK(minted.body.rfind(R"({"Created":{"execution_id":"{fp:)", 0) == 0);
  CHECK(minted.body.find(R"("public_state":"waiting"}})") != std::string::npos);
  auto created = s.gateway.created();
  REQUIRE(created.size() == 1);
  CHECK(created[0].execution_id.partition < 8);
  CHECK(created[0].input_payload == "{}");
  CHECK(created[0].priority == 5);
  CHECK(created[0].now_ms > 0);

  auto with_id = c.post("/v1/executions",
                        create_body(std::string(R"("execution_id":")") + eid1 +
                                    R"(","partition_id":1,"delay_until":99999999999999)"));
  CHECK(with_id.status == 201);
  CHECK(with_id.body == std::string(R"({"Created":{"execution_id":")") + eid1 +
                            R"(","public_state":"delayed"}})");
  auto again = c.post("/v1/executions", create_body(std::string(R"("execution_id":")") + eid1 + "\""));
  CHECK(again.status == 200);
  CHECK(again.body == std::string(R"({"Duplicate":{"execution_id":")") + eid1 + R"("}})");

  auto mismatch = c.post("/v1/executions",
                         create_body(std::string(R"("execution_id":")") + eid1 + R"(","partition_id":2)"));
  CHECK(mismatch.status == 400);
  CHECK(mismatch.body ==
        R"({"error":"partition_id does not match execution_id","kind":"invalid_input"})");

  auto caps = c.post("/v1/executions",
                     create_body(R"("policy":{"routing_requirements":{"required_capabilities":["a b"]}})"));
  CHECK(caps.status == 400);
  CHECK(caps.body ==
        R"({"error":"invalid_capabilities: required:control_or_whitespace","kind":"invalid_capabilities"})");

  s.gateway.fail_next(classify_store_error("budget_attach_conflict", ""));
  auto conflict = c.post("/v1/executions", create_body());
  CHECK(conflict.status == 409);
  CHECK(conflict.body ==
        R"({"error":"budget_attach_conflict","kind":"budget_attach_conflict","retryable":false})");

  s.gateway.fail_next(engine_error::resource_exhausted("partition_queue", 1024));
  auto busy = c.post("/v1/executions", create_body());
  CHECK(busy.status == 429);
  CHECK(busy.header("retry-after") == "1");
}

TEST_CASE("list executions") {
  running_server s;
  auto c = s.client();

  auto page = c.get("/v1/executions?partition=1&limit=5000&cursor=" + eid1_path);
  CHECK(page.status == 200);
  CHECK(page.body ==
        R"({"executions":["{fp:1}:00000000-0000-4000-8000-000000000001"],"next_cursor":null})");
  auto args = s.gateway.last_list();
  REQUIRE(args);
  CHECK(args->partition == 1);
  CHECK(args->limit == 1000);
  CHECK(args->cursor == eid1);

  c.get("/v1/executions?partition=2&cursor=");
  CHECK(s.gateway.last_list()->limit == 50);
  CHECK(s.gateway.last_list()->cursor.empty());

  auto zero = c.get("/v1/executions?partition=3&limit=0");
  CHECK(zero.body == R"({"executions":[],"next_cursor":null})");

  auto missing = c.get("/v1/executions");
  CHECK(missing.status == 400);
  CHECK(missing.header("content-type") == "application/json");
  CHECK(missing.body.find("partition") != std::string::npos);
  CHECK(c.get("/v1/executions?partition=65536").status == 400);
  CHECK(c.get("/v1/executions?partition=1&limit=abc").status == 400);
  auto cursor = c.get("/v1/executions?partition=1&cursor=nope");
  CHECK(cursor.status == 400);
  CHECK(cursor.body == R"({"error":"invalid cursor: must start with {fp:","kind":"invalid_input"})");
}

TEST_CASE("read execution, state and result") {
  running_server s;
  execution_info info;
  info.execution_id = eid1;
  info.namespace_name = "ns";
  info.lane_id = "default";
  info.execution_kind = "k";
  info.state = {"terminal", "unowned", "not_applicable", "none", "success", "attempt_terminal",
                "completed"};
  info.created_at = 1;
  info.completed_at = 2;
  s.gateway.put_info(info);
  s.gateway.put_result(eid1, std::string("{\"ok\":true}\0\xff", 13));
  auto c = s.client();

  auto get = c.get("/v1/executions/" + eid1_path);
  CHECK(get.status == 200);
  CHECK(get.body.find(R"("public_state":"completed","created_at":"1","completed_at":"2")") !=
        std::string::npos);
  CHECK(get.body.find("started_at") == std::string::npos);
  auto raw_braces = c.get(std::string("/v1/executions/") + eid1 + "/state");
  CHECK(raw_braces.status == 200);
  CHECK(raw_braces.body == R"("completed")");

  auto result = c.get("/v1/executions/" + eid1_path + "/result");
  CHECK(result.status == 200);
  CHECK(result.header("content-type") == "application/octet-stream");
  CHECK(result.body == std::string("{\"ok\":true}\0\xff", 13));

  const std::string other = "{fp:2}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21";
  auto missing = c.get("/v1/executions/" + test::url_encode(other));
  CHECK(missing.status == 404);
  CHECK(missing.body == R"({"error":"execution not found: )" + other + "\"}");
  auto missing_state = c.get("/v1/executions/" + test::url_encode(other) + "/state");
  CHECK(missing_state.body == R"({"error":"execution not found: )" + other + "\"}");
  auto missing_result = c.get("/v1/executions/" + test::url_encode(other) + "/result");
  CHECK(missing_result.status == 404);
  CHECK(missing_result.body == R"({"error":"execution result not found: )" + other + "\"}");

  auto bad = c.get("/v1/executions/not-an-id");
  CHECK(bad.status == 400);
  CHECK(bad.body == R"({"error":"invalid execution_id: must start with {fp:","kind":"invalid_input"})");
  auto undecodable = c.get("/v1/executions/%zz/state");
  CHECK(undecodable.status == 400);
  CHECK(undecodable.header("content-type") == "application/json");

  auto head = c.request("HEAD", "/v1/executions/" + eid1_path);
  CHECK(head.status == 200);
  CHECK(head.header("content-length") == std::to_string(get.body.size()));
}

TEST_CASE("routes without a handler answer 503 unavailable") {
  running_server s;
  auto c = s.client();
  auto r = c.post("/v1/flows", "{}");
  CHECK(r.status == 503);
  CHECK(r.body ==
        R"({"error":"backend op unavailable: POST /v1/flows","kind":"unavailable","retryable":false})");
  auto get = c.get("/v1/budgets/b3f4e2d1-7a65-4c3b-8e2f-1a0b9c8d7e6f");
  CHECK(get.body ==
        R"({"error":"backend op unavailable: GET /v1/budgets/{id}","kind":"unavailable","retryable":false})");
}

TEST_CASE("a reply the engine drops becomes a 500") {
  running_server s;
  s.gateway.hold(true);
  // std::async: an exception in the client thread reaches the test, not terminate().
  auto answer = std::async(std::launch::async, [&] { return s.client().get("/healthz"); });
  while (s.gateway.held_count() == 0) std::this_thread::sleep_for(1ms);
  s.gateway.drop_held();
  auto r = answer.get();
  CHECK(r.status == 500);
  CHECK(r.body == R"({"error":"engine: request dropped without a reply","retryable":false})");
}

TEST_CASE("stop drains in-flight requests and refuses new ones with 503") {
  running_server s;
  auto idle = s.client();
  CHECK(idle.get("/healthz").status == 200); // opens a keep-alive connection

  s.gateway.hold(true);
  auto slow = std::async(std::launch::async, [&] { return s.client().get("/healthz"); });
  while (s.gateway.held_count() == 0) std::this_thread::sleep_for(1ms);

  std::atomic<bool> stopped{false};
  auto stopper = std::async(std::launch::async, [&] {
    s.server->stop(5s);
    stopped = true;
  });
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(stopped.load());

  auto refused = idle.get("/healthz");
  CHECK(refused.status == 503);
  CHECK(refused.body == R"({"error":"shutting down","kind":"unavailable","retryable":false})");
  CHECK(refused.header("connection") == "close");
  // The listener is closed: a new connection is refused.
  CHECK_THROWS(s.client().get("/healthz"));

  auto begin = std::chrono::steady_clock::now();
  s.gateway.release_held();
  auto r = slow.get();
  CHECK(r.status == 200);
  stopper.get();
  CHECK(stopped.load());
  CHECK(std::chrono::steady_clock::now() - begin < 2s); // ended by the drain, not the timeout
  s.server->stop(0ms); // idempotent
}

TEST_CASE("stop gives up on requests that outlast the drain") {
  running_server s;
  s.gateway.hold(true);
  auto stuck = std::async(std::launch::async, [&] { return s.client().get("/healthz"); });
  while (s.gateway.held_count() == 0) std::this_thread::sleep_for(1ms);
  auto begin = std::chrono::steady_clock::now();
  s.server->stop(200ms);
  auto took = std::chrono::steady_clock::now() - begin;
  CHECK(took >= 200ms);
  CHECK(took < 2s);
  CHECK_THROWS(stuck.get()); // closed without an answer
  s.gateway.release_held();   // the late reply finds nothing to write to
}

TEST_CASE("a late engine callback after the server is destroyed is dropped safely") {
  running_server s;
  s.gateway.hold(true);
  auto requester = std::async(std::launch::async, [&] { return s.client().get("/healthz"); });
  while (s.gateway.held_count() == 0) std::this_thread::sleep_for(1ms);
  s.server.reset(); // destructor: stop(0)
  CHECK_THROWS(requester.get());
  s.gateway.release_held(); // runs the callback against a destroyed server
  std::this_thread::sleep_for(50ms);
}

TEST_CASE("start fails with one line when the port is taken") {
  running_server first;
  auto cfg = base_config();
  cfg.listen_port = first.server->port();
  test::fake_gateway gateway;
  prometheus_metrics metrics;
  http_server second(cfg, gateway, metrics);
  auto r = second.start();
  REQUIRE_FALSE(r);
  CHECK(r.error().text().find("cannot listen on 127.0.0.1:") == 0);
}

TEST_CASE("keep-alive carries many requests; backend metrics are recorded") {
  running_server s;
  auto c = s.client();
  for (int i = 0; i < 20; ++i) CHECK(c.get("/healthz").status == 200);
  s.metrics.backend_call("ff_create_execution", 0.002, true);
  s.metrics.queue_rejected("partition:3");
  auto text = c.get("/metrics").body;
  CHECK(text.find(R"(ff_backend_call_duration_seconds_count{op="ff_create_execution",outcome="ok"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(ff_queue_rejected_total{pool="partition:3"} 1)") != std::string::npos);
  CHECK(text.find(R"(ff_http_requests_total{method="GET",path="/healthz",status="200"} 20)") !=
        std::string::npos);
}
