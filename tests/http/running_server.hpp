#pragma once
// An http_server on a free loopback port in front of a fake engine, for the
// route tests, and the ids those tests address.

#include <doctest/doctest.h>

#include <memory>
#include <string>

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
