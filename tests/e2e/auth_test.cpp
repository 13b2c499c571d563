// Bearer authentication on every route when FF_API_TOKEN is set.

#include <doctest/doctest.h>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("every route but healthz and metrics needs the bearer token") {
  redis_server redis;
  auto env = node_env(redis);
  const std::string token = "s3cret-token-value";
  env["FF_API_TOKEN"] = token;
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  auto eid = url_encode(execution_id::mint(1).value);
  const std::string uuid = "6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21";
  const std::vector<std::pair<std::string, std::string>> routes = {
    {"GET", "/v1/executions?partition=0"},
    {"POST", "/v1/executions"},
    {"GET", "/v1/executions/" + eid},
    {"GET", "/v1/executions/" + eid + "/state"},
    {"GET", "/v1/executions/" + eid + "/pending-waitpoints"},
    {"GET", "/v1/executions/" + eid + "/waitpoints/" + uuid + "/token"},
    {"GET", "/v1/executions/" + eid + "/result"},
    {"POST", "/v1/executions/" + eid + "/cancel"},
    {"POST", "/v1/executions/" + eid + "/signal"},
    {"PUT", "/v1/executions/" + eid + "/priority"},
    {"POST", "/v1/executions/" + eid + "/replay"},
    {"POST", "/v1/executions/" + eid + "/revoke-lease"},
    {"POST", "/v1/executions/" + eid + "/reclaim"},
    {"POST", "/v1/workers/w1/claim"},
    {"GET", "/v1/executions/" + eid + "/attempts/0/stream"},
    {"GET", "/v1/executions/" + eid + "/attempts/0/stream/tail"},
    {"POST", "/v1/flows"},
    {"POST", "/v1/flows/" + uuid + "/members"},
    {"POST", "/v1/flows/" + uuid + "/cancel"},
    {"POST", "/v1/flows/" + uuid + "/edges"},
    {"POST", "/v1/flows/" + uuid + "/edges/apply"},
    {"POST", "/v1/budgets"},
    {"GET", "/v1/budgets/" + uuid},
    {"POST", "/v1/budgets/" + uuid + "/usage"},
    {"POST", "/v1/budgets/" + uuid + "/reset"},
    {"POST", "/v1/quotas"},
    {"POST", "/v1/admin/rotate-waitpoint-secret"},
    {"POST", "/v1/workers/w1/acquire"},
    {"POST", "/v1/executions/" + eid + "/claim"},
    {"POST", "/v1/executions/" + eid + "/lease/renew"},
    {"POST", "/v1/executions/" + eid + "/complete"},
    {"POST", "/v1/executions/" + eid + "/fail"},
    {"POST", "/v1/executions/" + eid + "/suspend"},
    {"POST", "/v1/executions/" + eid + "/attempts/0/stream"},
    {"POST", "/v1/executions/" + eid + "/usage"},
    {"POST", "/v1/executions/" + eid + "/progress"},
    {"POST", "/v1/workers/w1/heartbeat"},
  };
  const std::string body = create_body(execution_id::mint(1).value, 1);
  for (const auto& [method, target] : routes) {
    CAPTURE(method);
    CAPTURE(target);
    auto none = client.request(method, target, method == "GET" ? "" : body);
    CHECK(none.status == 401);
    CHECK(none.body == R"({"error":"missing or invalid Authorization header"})");
    CHECK(none.header("www-authenticate").empty());
    auto wrong = client.request(method, target, method == "GET" ? "" : body,
                                {{"Authorization", "Bearer " + token + "x"}});
    CHECK(wrong.status == 401);
    auto same_length = client.request(method, target, method == "GET" ? "" : body,
                                      {{"Authorization", "Bearer " + std::string(token.size(), 'x')}});
    CHECK(same_length.status == 401);
    auto lower_scheme = client.request(method, target, method == "GET" ? "" : body,
                                       {{"Authorization", "bearer " + token}});
    CHECK(lower_scheme.status == 401);
  }
  // Nothing was created by the refused POST /v1/executions.
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + token}};
  CHECK(count_all(client, 8, auth) == 0);

  CHECK(client.get("/healthz").status == 200);
  CHECK(client.get("/metrics").status == 200);
  auto created = client.post("/v1/executions", body, auth);
  CHECK(created.status == 201);
  CHECK(count_all(client, 8, auth) == 1);
  // Header names are case-insensitive.
  CHECK(client.get("/v1/executions?partition=1", {{"authorization", "Bearer " + token}}).status == 200);
}
