#pragma once
// The HTTP front door (Boost.Beast, HTTP/1.1 keep-alive, several asio
// threads). Routes requests to handlers, which call the engine_gateway and
// complete the response when the callback is posted back to the session.

#include <chrono>
#include <cstdint>
#include <memory>

#include "actors/engine_gateway.hpp"
#include "config/config.hpp"
#include "core/expected.hpp"

namespace ff {

class prometheus_metrics;

class http_server {
public:
  http_server(const node_config& cfg, engine_gateway& gateway, prometheus_metrics& metrics);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds the listen address and starts the asio threads. Error: the bind
  // failure, as one line.
  expected<unit> start();
  // Stops accepting, lets in-flight requests finish for at most `drain`
  // (new requests on open connections get 503), then closes everything and
  // joins the threads. Idempotent.
  void stop(std::chrono::milliseconds drain);
  // The bound port (useful with port 0).
  std::uint16_t port() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ff
