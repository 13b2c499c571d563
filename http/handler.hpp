#pragma once
// What a handler gets: the decoded request, its path parameters, the engine
// gateway, and a responder that completes the request from any thread.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "actors/engine_gateway.hpp"
#include "config/config.hpp"
#include "http/http_types.hpp"
#include "http/router.hpp"

namespace ff {

class prometheus_metrics;

// Where a response goes. The server's implementation posts `make` to the
// connection's strand; tests capture it directly.
class reply_channel {
public:
  virtual ~reply_channel() = default;
  // Called at most once; `make` runs on the connection's executor.
  virtual void deliver(std::function<http_response()> make) = 0;
};

// Completes one request exactly once, from any thread. If every copy is
// destroyed without a reply (a handler bug, or a callback the engine
// dropped), the client still gets a 500 instead of a hung connection.
class responder {
public:
  responder() = default;
  explicit responder(std::shared_ptr<reply_channel> channel)
      : state_(std::make_shared<state>(std::move(channel))) {}

  void send(http_response response) const {
    send_with([r = std::move(response)]() mutable { return std::move(r); });
  }
  // Builds the response on the connection's executor (keeps JSON encoding
  // off the engine's threads).
  void send_with(std::function<http_response()> make) const {
    if (state_ && !state_->sent.exchange(true))
      state_->channel->deliver(std::move(make));
  }

private:
  struct state {
    explicit state(std::shared_ptr<reply_channel> c) : channel(std::move(c)) {}
    ~state();
    std::shared_ptr<reply_channel> channel;
    std::atomic<bool> sent{false};
  };
  std::shared_ptr<state> state_;
};

struct request_context {
  http_request request;
  route_params params;
  const char* route_template = "";
  engine_gateway& gateway;
  prometheus_metrics& metrics;
  const node_config& config;
  responder reply;
};

using handler_fn = void (*)(request_context& ctx);

// A gateway callback that hops to the connection's executor and turns the
// engine's answer into a response there.
template <class T, class F>
engine_gateway::callback<T> reply_on_strand(const responder& reply, F convert) {
  return [reply, convert = std::move(convert)](expected<T> result) mutable {
    reply.send_with([convert, result = std::move(result)]() mutable {
      return convert(std::move(result));
    });
  };
}

} // namespace ff
