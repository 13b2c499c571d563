#pragma once
// The actor side of the node: the CAF actor system, the node actor and the
// engine_gateway the HTTP layer calls. Hides every CAF type from main().

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/backend_actor.hpp"
#include "actors/engine_gateway.hpp"
#include "config/config.hpp"
#include "core/metrics_sink.hpp"

namespace ff {

class actor_runtime {
public:
  // Spawns the node actor, which spawns the backend pool (each actor builds
  // its connection with `factory`) and the partition actors, and the store
  // prober, whose connection `probe_factory` builds (short timeouts).
  // `lanes_with_work`: lanes found in the store with eligible work; their
  // ready sets are rebuilt at boot along with those of FF_LANES.
  actor_runtime(const node_config& cfg, backend_factory factory, backend_factory probe_factory,
                std::vector<std::string> lanes_with_work, metrics_sink& metrics);
  ~actor_runtime();
  actor_runtime(const actor_runtime&) = delete;
  actor_runtime& operator=(const actor_runtime&) = delete;

  engine_gateway& gateway();
  // The supervisor of every actor of the node (for tests and diagnostics).
  node_actor node() const;
  // First step of a shutdown: claims parked in lane actors end now with
  // "no work", so in-flight long-polls finish before the HTTP drain.
  void begin_shutdown();
  // Stops every actor and waits for them (the backend actors finish the
  // call they are in). Idempotent; the destructor calls it.
  void shutdown();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ff
