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

// One partition actor per partition of each family: flow partitions serve
// the execution and flow families; budget and quota partitions have their
// own numbering (FF_BUDGET_PARTITIONS, FF_QUOTA_PARTITIONS).
struct routes {
  std::vector<partition_actor> partitions;        // index = flow partition
  std::vector<partition_actor> budget_partitions; // index = budget partition
  std::vector<partition_actor> quota_partitions;  // index = quota partition
  std::vector<backend_actor> backends;            // the pool; partition p uses p % size
  rotation_actor rotation;                        // the secret rotation coordinator

  // The partition actors of a family; none for node-wide operations.
  const std::vector<partition_actor>& of(partition_family family) const {
    static const std::vector<partition_actor> no_partitions;
    switch (family) {
      case partition_family::execution:
      case partition_family::flow: return partitions;
      case partition_family::budget: return budget_partitions;
      case partition_family::quota: return quota_partitions;
      case partition_family::none: break;
    }
    return no_partitions;
  }
};

class routing_table {
public:
  std::shared_ptr<const routes> snapshot() const { return std::atomic_load(&current_); }
  void publish(std::shared_ptr<const routes> next) { std::atomic_store(&current_, std::move(next)); }

private:
  std::shared_ptr<const routes> current_;
};

} // namespace ff
