// Every protected route of the route table refuses a request without a
// valid bearer token, through the real server, before any other check
// (routing aside) can say anything about the request.

#include <doctest/doctest.h>

#include "http/routes.hpp"
#include "tests/http/running_server.hpp"

using namespace ff;
using test::running_server;

namespace {

constexpr const char* token = "walk-the-table-token";
constexpr const char* denied = R"({"error":"missing or invalid Authorization header"})";

bool exempt(const route_def& route) {
  return route.method == std::string("GET") &&
         (route.path == std::string("/healthz") || route.path == std::string("/metrics"));
}


} // namespace

TEST_CASE("auth walk: every protected route answers 401 without a valid token") {
  auto cfg = test::base_config();
  cfg.api_token = token;
  running_server s(cfg);
  auto c = s.client();

  const std::vector<std::map<std::string, std::string>> bad_credentials{
      {},
      {{"Authorization", "Bearer wrong"}},
      {{"Authorization", "Bearer "}},
      {{"Authorization", "Bearer"}},
      {{"Authorization", std::string("Bearer ") + token + "x"}},
      {{"Authorization", std::string("Bearer ") + std::string(token).substr(1)}},
      {{"Authorization", std::string("Basic ") + token}},
      {{"Authorization", token}},
      {{"Authorization", std::string("Bearer  ") + token}},
      {{"Authorization", std::string("bearer ") + token}},
      {{"X-Api-Token", token}},
  };

  std::size_t protected_routes = 0;
  for (const auto& route : route_table()) {
    if (exempt(route)) continue;
    ++protected_routes;
    std::vector<std::string> methods{route.method};
    if (route.method == std::string("GET")) methods.push_back("HEAD");
    // A valid path, and one with each parameter malformed: auth answers
    // before the parameters are looked at.
    std::vector<std::string> paths{test::route_path(route.path)};
    for (const auto& param : test::route_params_of(route.path))
      paths.push_back(test::route_path(route.path, param, "%FF"));

    auto calls = s.gateway.call_count();
    for (const auto& method : methods) {
      for (const auto& path : paths) {
        for (const auto& headers : bad_credentials) {
          CAPTURE(method);
          CAPTURE(path);
          CAPTURE(headers.empty() ? std::string("<none>") : headers.begin()->second);
          auto r = c.request(method, path + "?probe=%FF", "{}", headers);
          CHECK(r.status == 401);
          if (method != "HEAD") CHECK(r.body == denied);
        }
      }
    }
    CHECK(s.gateway.call_count() == calls); // nothing reached the engine
    // The right token gets past auth (whatever the handler then says).
    auto ok = c.request(route.method, test::route_path(route.path), "{}",
                        {{"Authorization", std::string("Bearer ") + token}});
    CHECK(ok.status != 401);
  }
  CHECK(protected_routes == route_table().size() - 2);

  SUBCASE("exempt routes answer without a token") {
    CHECK(c.get("/healthz").status == 200);
    CHECK(c.get("/metrics").status == 200);
  }
}
