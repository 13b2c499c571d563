#include <doctest/doctest.h>

#include "http/router.hpp"
#include "http/routes.hpp"

using namespace ff;

namespace {

router sample_router() {
  router r;
  r.add("GET", "/v1/executions", 0);
  r.add("POST", "/v1/executions", 1);
  r.add("GET", "/v1/executions/{id}", 2);
  r.add("GET", "/v1/executions/{id}/state", 3);
  r.add("PUT", "/v1/executions/{id}/priority", 4);
  r.add("GET", "/v1/executions/{id}/attempts/{idx}/stream", 5);
  r.add("POST", "/v1/executions/{id}/attempts/{idx}/stream", 6);
  return r;
}

} // namespace

TEST_CASE("percent_decode") {
  CHECK(percent_decode("%7Bfp:3%7D:abc") == std::optional<std::string>("{fp:3}:abc"));
  CHECK(percent_decode("%7bfp%3a3%7d") == std::optional<std::string>("{fp:3}"));
  CHECK(percent_decode("a+b") == std::optional<std::string>("a+b"));
  CHECK(percent_decode("a+b", true) == std::optional<std::string>("a b"));
  CHECK_FALSE(percent_decode("%"));
  CHECK_FALSE(percent_decode("%4"));
  CHECK_FALSE(percent_decode("%zz"));
  CHECK(percent_decode("") == std::optional<std::string>(""));
}

TEST_CASE("parse_query") {
  auto q = parse_query("partition=3&cursor=%7Bfp%3A3%7D%3Ax&flag&limit=");
  REQUIRE(q);
  REQUIRE(q->size() == 4);
  CHECK((*q)[0] == std::make_pair(std::string("partition"), std::string("3")));
  CHECK((*q)[1].second == "{fp:3}:x");
  CHECK((*q)[2] == std::make_pair(std::string("flag"), std::string()));
  CHECK((*q)[3] == std::make_pair(std::string("limit"), std::string()));
  CHECK(parse_query("")->empty());
  CHECK(parse_query("&&a=1&")->size() == 1);
  CHECK_FALSE(parse_query("a=%G0"));
}

TEST_CASE("router matches templates and extracts decoded parameters") {
  auto r = sample_router();
  auto m = r.match("GET", "/v1/executions/%7Bfp:3%7D:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21");
  REQUIRE(m.status == router::outcome::matched);
  CHECK(m.payload == 2);
  CHECK(*m.path_template == "/v1/executions/{id}");
  REQUIRE(m.params.find("id"));
  CHECK(m.params.find("id")->value == "{fp:3}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21");

  SUBCASE("raw braces are accepted too") {
    auto raw = r.match("GET", "/v1/executions/{fp:3}:x/state");
    REQUIRE(raw.status == router::outcome::matched);
    CHECK(raw.payload == 3);
    CHECK(raw.params.find("id")->value == "{fp:3}:x");
  }
  SUBCASE("two placeholders") {
    auto two = r.match("GET", "/v1/executions/abc/attempts/7/stream");
    REQUIRE(two.status == router::outcome::matched);
    CHECK(two.params.find("id")->value == "abc");
    CHECK(two.params.find("idx")->value == "7");
  }
  SUBCASE("encoded slash stays inside its segment") {
    auto slash = r.match("GET", "/v1/executions/a%2Fb");
    REQUIRE(slash.status == router::outcome::matched);
    CHECK(slash.params.find("id")->value == "a/b");
  }
  SUBCASE("malformed escape in a parameter still routes, flagged") {
    auto bad = r.match("GET", "/v1/executions/%zz");
    REQUIRE(bad.status == router::outcome::matched);
    CHECK_FALSE(bad.params.find("id")->decoded);
  }
  SUBCASE("literal segments may be percent-encoded") {
    CHECK(r.match("GET", "/v1/%65xecutions").status == router::outcome::matched);
  }
}

TEST_CASE("router: no trailing-slash aliasing, empty parameters, unknown paths") {
  auto r = sample_router();
  CHECK(r.match("GET", "/v1/executions/").status == router::outcome::not_found);
  CHECK(r.match("GET", "/v1/executions//state").status == router::outcome::not_found);
  CHECK(r.match("GET", "/v1/execution").status == router::outcome::not_found);
  CHECK(r.match("GET", "/").status == router::outcome::not_found);
  CHECK(r.match("GET", "").status == router::outcome::not_found);
  CHECK(r.match("GET", "v1/executions").status == router::outcome::not_found);
  CHECK(r.match("GET", "/v1/executions/x/state/extra").status == router::outcome::not_found);
}

TEST_CASE("router: wrong method gives 405 with Allow; HEAD follows GET") {
  auto r = sample_router();
  auto m = r.match("DELETE", "/v1/executions");
  CHECK(m.status == router::outcome::method_not_allowed);
  CHECK(m.allow == "GET, HEAD, POST");
  CHECK(*m.path_template == "/v1/executions");

  auto p = r.match("GET", "/v1/executions/x/priority");
  CHECK(p.status == router::outcome::method_not_allowed);
  CHECK(p.allow == "PUT");

  auto head = r.match("HEAD", "/v1/executions/x");
  CHECK(head.status == router::outcome::matched);
  CHECK(head.payload == 2);
  CHECK(r.match("HEAD", "/v1/executions/x/priority").status ==
        router::outcome::method_not_allowed);
  auto both = r.match("PUT", "/v1/executions/x/attempts/1/stream");
  CHECK(both.allow == "GET, HEAD, POST");
}

TEST_CASE("route table: every route once, limits per rest-api.md §1.7") {
  const auto& table = route_table();
  // 29 reference routes, 10 worker routes of decisions.md §5, the
  // pending-waitpoint extension and batch create.
  CHECK(table.size() == 29 + 12);
  for (std::size_t i = 0; i < table.size(); ++i)
    for (std::size_t j = i + 1; j < table.size(); ++j)
      CHECK_FALSE((std::string(table[i].method) == table[j].method &&
                   std::string(table[i].path) == table[j].path));
  auto limit_of = [&](std::string method, std::string path) -> std::uint64_t {
    for (const auto& r : table)
      if (method == r.method && path == r.path) return r.body_limit;
    FAIL("route missing: " << method << " " << path);
    return 0;
  };
  CHECK(limit_of("GET", "/v1/executions") == 1048576);
  CHECK(limit_of("POST", "/v1/executions") == 1048576);
  CHECK(limit_of("POST", "/v1/executions/batch") == 16777216);
  CHECK(limit_of("POST", "/v1/executions/{id}/signal") == 262144);
  CHECK(limit_of("POST", "/v1/executions/{id}/suspend") == 262144);
  for (auto path : {"/v1/executions/{id}/cancel", "/v1/executions/{id}/replay",
                    "/v1/executions/{id}/revoke-lease", "/v1/executions/{id}/reclaim",
                    "/v1/workers/{worker_id}/claim", "/v1/flows", "/v1/flows/{id}/members",
                    "/v1/flows/{id}/cancel", "/v1/flows/{id}/edges", "/v1/flows/{id}/edges/apply",
                    "/v1/budgets", "/v1/budgets/{id}/usage", "/v1/budgets/{id}/reset",
                    "/v1/quotas", "/v1/admin/rotate-waitpoint-secret",
                    "/v1/executions/{id}/waitpoints"})
    CHECK(limit_of("POST", path) == 65536);
  CHECK(limit_of("PUT", "/v1/executions/{id}/priority") == 65536);
  CHECK(limit_of("GET", "/v1/executions/{id}") == 0);
  CHECK(limit_of("GET", "/healthz") == 0);
  CHECK(limit_of("GET", "/metrics") == 0);
}
