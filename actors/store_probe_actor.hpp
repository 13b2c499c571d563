#pragma once
// The store prober: a detached actor with a connection of its own that
// pings the store a few times a second and keeps `store_health` current.
// /healthz answers from that state at once, and calls fail fast while the
// store is down. While down it probes every 100 ms, so calls resume within
// about a tenth of a second once the store is back.

#include <chrono>
#include <memory>

#include <caf/all.hpp>

#include "actors/backend_actor.hpp"
#include "core/store_health.hpp"

namespace ff {

struct store_probe_settings {
  std::chrono::milliseconds interval_up{500};
  std::chrono::milliseconds interval_down{100};
};

struct store_probe_state {
  std::unique_ptr<engine_backend> backend;
  std::shared_ptr<store_health> health;
  store_probe_settings settings;
  static inline const char* name = "ff.store_probe";
};

// Spawn detached: each probe blocks on the store for up to the factory's
// command timeout. The factory should give a backend with short timeouts.
caf::behavior store_probe_actor_behavior(caf::stateful_actor<store_probe_state>* self,
                                         backend_factory factory,
                                         std::shared_ptr<store_health> health,
                                         store_probe_settings settings);

} // namespace ff
