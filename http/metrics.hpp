#pragma once
// Prometheus metrics of the node (prometheus-cpp registry, text exposition
// served by GET /metrics). Also the metrics_sink handed to lower layers.

#include <memory>
#include <string>
#include <string_view>

#include "core/metrics_sink.hpp"

namespace ff {

class prometheus_metrics final : public metrics_sink {
public:
  prometheus_metrics();
  ~prometheus_metrics() override;

  // ff_http_requests_total / ff_http_request_duration_seconds with labels
  // method, path (route template or "unknown"), status.
  void http_request(std::string_view method, std::string_view route, unsigned status,
                    double seconds);
  // ff_backend_call_duration_seconds{op,outcome}
  void backend_call(std::string_view op, double seconds, bool ok) override;
  // ff_queue_rejected_total{pool}
  void queue_rejected(std::string_view pool) override;

  // ff_scanner_cycle_total / ff_scanner_cycle_duration_seconds /
  // ff_scanner_changed_total / ff_scanner_errors_total, label scanner.
  void scanner_cycle(std::string_view scanner, double seconds, std::uint64_t changed,
                     std::uint64_t errors) override;
  // ff_lane_parked_claims{lane}
  void lane_parked_claims(std::string_view lane, std::size_t parked) override;
  // Removes the lane's ff_lane_parked_claims and ff_claim_from_grant_* series.
  void lane_retired(std::string_view lane) override;

  // ff_lanes_served (gauge)
  void lanes_served(std::size_t lanes) override;
  // ff_claim_from_grant_duration_seconds{lane}
  void claim_from_grant(std::string_view lane, double seconds) override;
  // ff_lease_renewal_total{outcome}
  void lease_renewal(std::string_view outcome) override;
  // ff_worker_at_capacity_total
  void worker_at_capacity() override;

  // The whole registry in Prometheus text format 0.0.4.
  std::string serialize() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ff
