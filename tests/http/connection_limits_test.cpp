// What the server does with connections rather than requests: the
// connection limit, idle and header timeouts (slowloris), and bad chunked
// framing. Real sockets against a real http_server with a fake engine.

#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "tests/http/running_server.hpp"
#include "tests/support/raw_connection.hpp"

using namespace ff;
using test::base_config;
using test::raw_connection;
using test::running_server;

namespace {

constexpr const char* healthz = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";

// A connection that is busy, not idle: it has been served once and has
// sent the first line of a next request whose header it never finishes.
// Both go out in one write, so the server holds the second request's bytes
// before it answers the first and never sees the connection idle.
raw_connection busy_connection(std::uint16_t port) {
  raw_connection c(port);
  REQUIRE(c.send(std::string(healthz) + "GET /healthz HTTP/1.1\r\n"));
  auto r = c.read_response();
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return c;
}

// A kept-alive connection after one request, waiting for the next.
raw_connection idle_connection(std::uint16_t port) {
  raw_connection c(port);
  REQUIRE(c.send(healthz));
  auto r = c.read_response();
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return c;
}

// GET /healthz on a fresh connection; the response, or status 0.
test::http_response fresh_healthz(std::uint16_t port) {
  raw_connection c(port);
  if (!c.send(healthz)) return {};
  return c.read_response().value_or(test::http_response{});
}

} // namespace

TEST_CASE("connection limit: a connection over it gets a canned 503 and is closed") {
  auto cfg = base_config();
  cfg.max_connections = 3;
  running_server s(cfg);

  std::vector<raw_connection> held;
  for (int i = 0; i < 3; ++i) held.push_back(busy_connection(s.server->port()));

  auto calls = s.gateway.call_count(); // /healthz asks the engine
  raw_connection over(s.server->port());
  REQUIRE(over.send(healthz));
  auto r = over.read_response();
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->body == R"({"error":"too many connections","kind":"unavailable","retryable":true})");
  CHECK(r->header("retry-after") == "1");
  CHECK(r->header("content-type") == "application/json");
  CHECK(r->header("connection") == "close");
  CHECK(over.wait_closed());
  CHECK(s.gateway.call_count() == calls);

  // Once a held connection goes away its place is free again. The server
  // notices the close asynchronously, so a few 503s may come first.
  held.pop_back();
  unsigned status = 0;
  for (int attempt = 0; attempt < 200 && status != 200; ++attempt) {
    status = fresh_healthz(s.server->port()).status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(status == 200);
}

TEST_CASE("connection limit: a new connection replaces an idle one") {
  auto cfg = base_config();
  cfg.max_connections = 2;
  running_server s(cfg);

  // The server counts a connection idle once its last answer is fully
  // written, which on a loaded machine can lag behind the client reading
  // it; until then a newcomer finds no idle connection and gets a 503.
  auto admitted = [&] {
    for (int attempt = 0; attempt < 200; ++attempt) {
      raw_connection c(s.server->port());
      REQUIRE(c.send(healthz));
      auto r = c.read_response();
      REQUIRE(r);
      if (r->status == 200) return c;
      CHECK(r->status == 503);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("never admitted");
    return raw_connection(s.server->port());
  };
  auto closed_count = [](std::vector<raw_connection*> cs) {
    int n = 0;
    for (auto* c : cs) n += c->peer_closed() ? 1 : 0;
    return n;
  };
  auto eventually_closed = [&](std::vector<raw_connection*> cs, int expected) {
    int n = 0;
    for (int attempt = 0; attempt < 500 && (n = closed_count(cs)) < expected; ++attempt)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return n;
  };

  auto a = idle_connection(s.server->port());
  auto b = idle_connection(s.server->port());
  auto c = admitted(); // over the limit, yet served: one of a and b made room
  CHECK(eventually_closed({&a, &b}, 1) == 1);
  auto d = admitted();
  CHECK(eventually_closed({&a, &b, &c}, 2) == 2);
}

TEST_CASE("slowloris: a header that trickles in is cut off at the header timeout") {
  auto cfg = base_config();
  cfg.http_header_timeout_ms = 300;
  running_server s(cfg);

  raw_connection slow(s.server->port());
  REQUIRE(slow.send("GET /healthz HTTP/1.1\r\nHost: t\r\n"));
  // One more header byte every 20 ms: each keeps the socket busy, none
  // finishes the header. 1000 of them would take 20 s.
  int sent = 0;
  bool closed = false;
  for (; sent < 1000 && !closed; ++sent) {
    closed = slow.peer_closed() || !slow.send("X-Slow: a\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(closed);
  CHECK(sent < 1000);
  CHECK_FALSE(slow.read_response()); // closed without an answer
  CHECK(s.gateway.call_count() == 0);
}

TEST_CASE("a fresh connection that sends nothing is closed after the header timeout") {
  auto cfg = base_config();
  cfg.http_header_timeout_ms = 200;
  cfg.http_idle_timeout_ms = 60000;
  running_server s(cfg);
  raw_connection silent(s.server->port());
  CHECK(silent.wait_closed());
}

TEST_CASE("a kept-alive connection is closed after the idle timeout") {
  auto cfg = base_config();
  cfg.http_idle_timeout_ms = 200;
  running_server s(cfg);
  auto c = idle_connection(s.server->port());
  CHECK(c.wait_closed());
}

TEST_CASE("bad chunked framing gets a 400 JSON answer, then the connection closes") {
  running_server s;
  for (std::string size : {"zz", "FFFFFFFFFFFFFFFFFFFF", "-1", "1;\x01=x"}) {
    CAPTURE(size);
    raw_connection c(s.server->port());
    REQUIRE(c.send("POST /v1/executions HTTP/1.1\r\nHost: t\r\n"
                   "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                   size + "\r\n{}\r\n0\r\n\r\n"));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->header("content-type") == "application/json");
    CHECK(r->body.find(R"("kind":"invalid_input")") != std::string::npos);
    CHECK(r->header("connection") == "close");
    CHECK(c.wait_closed());
  }
  CHECK(s.gateway.call_count() == 0);
}

TEST_CASE("a client that goes away mid-body is closed without an answer") {
  running_server s;
  raw_connection c(s.server->port());
  REQUIRE(c.send("POST /v1/executions HTTP/1.1\r\nHost: t\r\n"
                 "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\""));
  c.close();
  // Nothing reached the engine, and the server is fine afterwards.
  CHECK(s.gateway.call_count() == 0);
  CHECK(fresh_healthz(s.server->port()).status == 200);
}
