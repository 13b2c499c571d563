#pragma once
// One backend actor owns one store connection (an engine_backend instance)
// and runs detached: its blocking I/O never occupies a CAF scheduler thread
// or an asio thread. It answers requests in mailbox order.

#include <functional>
#include <memory>

#include "actors/messages.hpp"
#include "backends/engine_backend.hpp"
#include "core/metrics_sink.hpp"

namespace ff {

using backend_factory = std::function<std::unique_ptr<engine_backend>()>;

struct backend_state {
  std::unique_ptr<engine_backend> backend;
  metrics_sink* metrics = nullptr;
  static inline const char* name = "ff.backend";
};

// Spawn with `system.spawn<caf::detached>(backend_actor_behavior, factory, metrics)`.
backend_actor::behavior_type backend_actor_behavior(
  backend_actor::stateful_pointer<backend_state> self, backend_factory factory,
  metrics_sink* metrics);

} // namespace ff
