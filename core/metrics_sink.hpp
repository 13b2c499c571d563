#pragma once
// Where lower layers report measurements. The Prometheus implementation
// lives in http/ (which serves /metrics); lower layers see only this.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ff {

class metrics_sink {
public:
  virtual ~metrics_sink() = default;
  // One backend operation (op = the Lua function / SQL operation name).
  virtual void backend_call(std::string_view op, double seconds, bool ok) = 0;
  // A request refused because a bounded queue was full (pool = its name).
  virtual void queue_rejected(std::string_view pool) = 0;
  // One full pass of a scanner over the node's partitions: how long it
  // took, how many executions it changed, how many partition batches failed.
  virtual void scanner_cycle(std::string_view scanner, double seconds, std::uint64_t changed,
                             std::uint64_t errors) = 0;
  // How many lanes the node serves now (configured plus those in use).
  virtual void lanes_served(std::size_t lanes) = 0;
  // A grant turned into a held lease (acquire, or a claim of a grant): how
  // long the store took.
  virtual void claim_from_grant(std::string_view lane, double seconds) = 0;
  // A lease renewal and its outcome (ok, cancel_requested, or the refusal code).
  virtual void lease_renewal(std::string_view outcome) = 0;
  // A claim refused because the lane already holds its bound of waiting claims.
  virtual void worker_at_capacity() = 0;
  // How many claims are parked in a lane, waiting for work (set on every
  // change, from the lane's own actor).
  virtual void lane_parked_claims(std::string_view lane, std::size_t parked) = 0;
  // A lane retired: its per-lane series go, so lanes come and go without
  // growing the registry.
  virtual void lane_retired(std::string_view lane) = 0;
};

// Discards everything; for tests and tools.
class null_metrics_sink final : public metrics_sink {
public:
  void backend_call(std::string_view, double, bool) override {}
  void queue_rejected(std::string_view) override {}
  void scanner_cycle(std::string_view, double, std::uint64_t, std::uint64_t) override {}
  void lanes_served(std::size_t) override {}
  void claim_from_grant(std::string_view, double) override {}
  void lease_renewal(std::string_view) override {}
  void worker_at_capacity() override {}
  void lane_parked_claims(std::string_view, std::size_t) override {}
  void lane_retired(std::string_view) override {}
};

} // namespace ff
