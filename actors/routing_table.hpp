#pragma once
// Where a request finds the actor that serves its partition. The node actor
// owns and rewrites the table (at boot, when a child actor is respawned,
// later when cluster membership changes); readers take a snapshot without
// locking.

#include <atomic>
#include <memory>
#include <vector>

#include "actors/messages.hpp"

namespace ff {

struct routes {
  std::vector<partition_actor> partitions; // index = flow partition
  std::vector<backend_actor> backends;     // the pool; partition p uses p % size
  rotation_actor rotation;                 // the secret rotation coordinator
};

class routing_table {
public:
  std::shared_ptr<const routes> snapshot() const { return std::atomic_load(&current_); }
  void publish(std::shared_ptr<const routes> next) { std::atomic_store(&current_, std::move(next)); }

private:
  std::shared_ptr<const routes> current_;
};

} // namespace ff
