#pragma once
// An http_server on a free loopback port in front of a fake engine, for the
// route tests, and the ids those tests address.

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "tests/http/fake_gateway.hpp"
#include "tests/support/http_client.hpp"

namespace ff::test {

inline constexpr const char* eid1 = "{fp:1}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21";
// eid1 as it appears in a request path.
inline const std::string eid1_path = "%7Bfp%3A1%7D%3A6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21";
inline constexpr const char* lease_uuid = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

// A concrete request path for a route template: a valid value for every
// parameter, except that `param` (when given) gets `value`, which must
// already be percent-encoded.
inline std::string route_path(const std::string& tmpl, const std::string& param = {},
                              const std::string& value = {}) {
  bool execution = tmpl.rfind("/v1/executions/{id}", 0) == 0;
  std::string out;
  std::size_t i = 0;
  while (i < tmpl.size()) {
    auto open = tmpl.find('{', i);
    if (open == std::string::npos) {
      out += tmpl.substr(i);
      break;
    }
    auto close = tmpl.find('}', open);
    out += tmpl.substr(i, open - i);
    auto name = tmpl.substr(open + 1, close - open - 1);
    if (name == param) out += value;
    else if (name == "id") out += execution ? eid1_path : "b3f4e2d1-7a65-4c3b-8e2f-1a0b9c8d7e6f";
    else if (name == "waitpoint_id") out += "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
    else if (name == "worker_id") out += "worker-1";
    else if (name == "idx") out += "0";
    else FAIL("no valid value for {" << name << "} in " << tmpl);
    i = close + 1;
  }
  return out;
}

// The parameter names of a route template, in order.
inline std::vector<std::string> route_params_of(const std::string& tmpl) {
  std::vector<std::string> out;
  for (auto open = tmpl.find('{'); open != std::string::npos; open = tmpl.find('{', open + 1))
    out.push_back(tmpl.substr(open + 1, tmpl.find('}', open) - open - 1));
  return out;
}

inline node_config base_config() {
  node_config cfg;
  cfg.listen_host = "127.0.0.1";
  cfg.listen_port = 0;
  cfg.http_threads = 2;
  return cfg;
}

struct running_server {
  fake_gateway gateway;
  prometheus_metrics metrics;
  node_config cfg;
  std::unique_ptr<http_server> server;

  explicit running_server(node_config c = base_config()) : cfg(std::move(c)) {
    server = std::make_unique<http_server>(cfg, gateway, metrics);
    auto started = server->start();
    REQUIRE_MESSAGE(started, (started ? "" : started.error().text()));
    REQUIRE(server->port() != 0);
  }
  http_client client() { return http_client("127.0.0.1", server->port()); }
};

} // namespace ff::test
