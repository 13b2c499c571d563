#pragma once
// One backend actor owns one store connection (an engine_backend instance)
// and runs detached: its blocking I/O never occupies a CAF scheduler thread
// or an asio thread. It answers requests in mailbox order.

#include <functional>
#include <memory>

#include "actors/messages.hpp"
#include "backends/engine_backend.hpp"
#include "core/metrics_sink.hpp"
#include "core/store_health.hpp"

namespace ff {

using backend_factory = std::function<std::unique_ptr<engine_backend>()>;

struct backend_state {
  std::unique_ptr<engine_backend> backend;
  metrics_sink* metrics = nullptr;
  // Shared with the store prober: while the store is down, calls are
  // answered at once instead of each waiting on a dead connection.
  std::shared_ptr<store_health> health;
  std::uint64_t outages_seen = 0; // the connection predates none after this many
  static inline const char* name = "ff.backend";
};

// Spawn with `system.spawn<caf::detached>(backend_actor_behavior, factory, metrics, health)`.
backend_actor::behavior_type backend_actor_behavior(
  backend_actor::stateful_pointer<backend_state> self, backend_factory factory,
  metrics_sink* metrics, std::shared_ptr<store_health> health);

} // namespace ff
