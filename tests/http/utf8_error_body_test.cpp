// Every response body is valid UTF-8, whatever bytes a request carried:
// input echoed into an error message is made valid and bounded.

#include <doctest/doctest.h>

#include "http/json_codec.hpp"
#include "http/routes.hpp"
#include "tests/http/running_server.hpp"
#include "tests/support/raw_connection.hpp"

using namespace ff;
using test::eid1_path;
using test::running_server;
using test::valid_utf8;

TEST_CASE("the test's UTF-8 validator") {
  CHECK(valid_utf8("plain"));
  CHECK(valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
  CHECK_FALSE(valid_utf8("\xFF"));
  CHECK_FALSE(valid_utf8("\xC0\x80"));         // overlong NUL
  CHECK_FALSE(valid_utf8("\xED\xB0\x80"));     // lone low surrogate
  CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80")); // above U+10FFFF
  CHECK_FALSE(valid_utf8("\xE2\x82"));         // cut short
}

TEST_CASE("every route's path parameters: invalid UTF-8 never reaches a body") {
  running_server s;
  auto c = s.client();
  std::size_t routes_with_params = 0;
  for (const auto& route : route_table()) {
    auto params = test::route_params_of(route.path);
    if (params.empty()) continue;
    ++routes_with_params;
    for (const auto& param : params) {
      for (std::string bad : {"%FF", "%C0%80", "%ED%B0%80", "a%FFb", "%F4%90%80%80"}) {
        auto path = test::route_path(route.path, param, bad);
        CAPTURE(route.method);
        CAPTURE(path);
        auto r = c.request(route.method, path, "{}");
        CHECK(r.status >= 400);
        CHECK(valid_utf8(r.body));
        if (r.status == 400) CHECK(r.body.find(R"("kind":"invalid_input")") != std::string::npos);
      }
    }
  }
  CHECK(routes_with_params > 20);
  CHECK(s.gateway.call_count() == 0);
}

TEST_CASE("the attempt index is echoed valid and bounded") {
  running_server s;
  auto c = s.client();
  auto base = "/v1/executions/" + eid1_path + "/attempts/";

  auto r = c.get(base + "%FF/stream");
  CHECK(r.status == 400);
  CHECK(valid_utf8(r.body));
  CHECK(r.body.find("\xEF\xBF\xBD") != std::string::npos); // U+FFFD stands in for the byte

  std::string long_idx(5000, '7');
  r = c.get(base + long_idx + "/stream");
  CHECK(r.status == 400);
  CHECK(valid_utf8(r.body));
  CHECK(r.body.size() < 400);

  // A cut never splits a character: 3-byte characters past the bound.
  std::string euros;
  for (int i = 0; i < 100; ++i) euros += "%E2%82%AC";
  r = c.get(base + "x" + euros + "/stream");
  CHECK(r.status == 400);
  CHECK(valid_utf8(r.body));
  CHECK(r.body.size() < 400);
}

TEST_CASE("query values and headers echoed in errors are valid UTF-8") {
  running_server s;
  auto c = s.client();
  auto stream = "/v1/executions/" + eid1_path + "/attempts/0/stream";
  for (std::string q : {std::string("?from=%FF"), std::string("?to=%C0%80"),
                        std::string("?from=%ED%B0%80"), "?from=" + std::string(3000, 'x')}) {
    CAPTURE(q);
    auto r = c.get(stream + q);
    CHECK(r.status == 400);
    CHECK(valid_utf8(r.body));
    CHECK(r.body.size() < 600);
  }
  auto r = c.get(stream + "/tail?after=%FF");
  CHECK(r.status == 400);
  CHECK(valid_utf8(r.body));

  // A Content-Type carrying a raw 0xFF byte.
  test::raw_connection raw(s.server->port());
  REQUIRE(raw.send("POST /v1/executions HTTP/1.1\r\nHost: t\r\nContent-Type: text/\xFF\xFE\r\n"
                   "Content-Length: 2\r\n\r\n{}"));
  auto ct = raw.read_response();
  REQUIRE(ct);
  CHECK(ct->status == 415);
  CHECK(valid_utf8(ct->body));
  CHECK(s.gateway.call_count() == 0);
}

TEST_CASE("error texts: U+FFFD for invalid sequences, cuts on a character boundary") {
  CHECK(echo_input("ok") == "ok");
  CHECK(echo_input("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
  CHECK(echo_input("\xED\xB0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  std::string euros;
  for (int i = 0; i < 100; ++i) euros += "\xE2\x82\xAC";
  auto cut = echo_input(euros);
  CHECK(valid_utf8(cut));
  CHECK(cut.size() <= max_echo_bytes + 3);
  CHECK(cut.substr(cut.size() - 3) == "\xE2\x80\xA6");
  auto body = json_error(400, "bad \xC0\x80 input", "invalid_input", std::nullopt, "\xFF").body;
  CHECK(valid_utf8(body));
}
