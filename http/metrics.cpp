#include "http/metrics.hpp"

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace ff {

namespace {

// rest-api.md §1.10: the method label is a known verb or OTHER, so a client
// cannot grow the label set with made-up methods.
std::string method_label(std::string_view m) {
  for (std::string_view known :
       {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"})
    if (m == known) return std::string(known);
  return "OTHER";
}

const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries b{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return b;
}

} // namespace

struct prometheus_metrics::impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& http_requests =
      prometheus::BuildCounter()
          .Name("ff_http_requests_total")
          .Help("HTTP requests by method, route template and status")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& http_duration =
      prometheus::BuildHistogram()
          .Name("ff_http_request_duration_seconds")
          .Help("HTTP request latency by method, route template and status")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& backend_duration =
      prometheus::BuildHistogram()
          .Name("ff_backend_call_duration_seconds")
          .Help("Backend operation latency by operation and outcome")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& queue_rejected =
      prometheus::BuildCounter()
          .Name("ff_queue_rejected_total")
          .Help("Requests refused because a bounded queue or pool was full")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& scanner_cycles =
      prometheus::BuildCounter()
          .Name("ff_scanner_cycle_total")
          .Help("Completed scanner passes over the node's partitions")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& scanner_duration =
      prometheus::BuildHistogram()
          .Name("ff_scanner_cycle_duration_seconds")
          .Help("Duration of one scanner pass over the node's partitions")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& scanner_changed =
      prometheus::BuildCounter()
          .Name("ff_scanner_changed_total")
          .Help("Executions a scanner changed (promoted, expired, trimmed, repaired)")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& scanner_errors =
      prometheus::BuildCounter()
          .Name("ff_scanner_errors_total")
          .Help("Partition batches a scanner could not run")
          .Register(*registry);
  prometheus::Gauge& lanes_served =
      prometheus::BuildGauge()
          .Name("ff_lanes_served")
          .Help("Lanes this node serves now: the configured ones and those in recent use")
          .Register(*registry)
          .Add({});
  prometheus::Family<prometheus::Histogram>& claim_from_grant =
      prometheus::BuildHistogram()
          .Name("ff_claim_from_grant_duration_seconds")
          .Help("Store time to turn a grant into a held lease (acquire, or claim of a grant)")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& lease_renewals =
      prometheus::BuildCounter()
          .Name("ff_lease_renewal_total")
          .Help("Lease renewals by outcome (ok, cancel_requested, or the refusal code)")
          .Register(*registry);
  prometheus::Counter& worker_at_capacity =
      prometheus::BuildCounter()
          .Name("ff_worker_at_capacity_total")
          .Help("Claims refused because their lane already held its bound of waiting claims")
          .Register(*registry)
          .Add({});
  prometheus::Family<prometheus::Gauge>& lane_parked =
      prometheus::BuildGauge()
          .Name("ff_lane_parked_claims")
          .Help("Claims parked in a lane, waiting for work")
          .Register(*registry);
};

prometheus_metrics::prometheus_metrics() : impl_(std::make_unique<impl>()) {}
prometheus_metrics::~prometheus_metrics() = default;

// Family::Add is internally locked and returns the existing series for a
// label set already seen, so these are safe from any thread.
void prometheus_metrics::http_request(std::string_view method, std::string_view route,
                                      unsigned status, double seconds) {
  prometheus::Labels labels{{"method", method_label(method)},
                            {"path", route.empty() ? std::string("unknown") : std::string(route)},
                            {"status", std::to_string(status)}};
  impl_->http_requests.Add(labels).Increment();
  impl_->http_duration.Add(labels, latency_buckets()).Observe(seconds);
}

void prometheus_metrics::backend_call(std::string_view op, double seconds, bool ok) {
  impl_->backend_duration
      .Add({{"op", std::string(op)}, {"outcome", ok ? "ok" : "error"}}, latency_buckets())
      .Observe(seconds);
}

void prometheus_metrics::queue_rejected(std::string_view pool) {
  impl_->queue_rejected.Add({{"pool", std::string(pool)}}).Increment();
}

void prometheus_metrics::scanner_cycle(std::string_view scanner, double seconds,
                                       std::uint64_t changed, std::uint64_t errors) {
  prometheus::Labels labels{{"scanner", std::string(scanner)}};
  impl_->scanner_cycles.Add(labels).Increment();
  impl_->scanner_duration.Add(labels, latency_buckets()).Observe(seconds);
  impl_->scanner_changed.Add(labels).Increment(static_cast<double>(changed));
  impl_->scanner_errors.Add(labels).Increment(static_cast<double>(errors));
}

void prometheus_metrics::lanes_served(std::size_t lanes) {
  impl_->lanes_served.Set(static_cast<double>(lanes));
}

void prometheus_metrics::claim_from_grant(std::string_view lane, double seconds) {
  impl_->claim_from_grant.Add({{"lane", std::string(lane)}}, latency_buckets()).Observe(seconds);
}

void prometheus_metrics::lease_renewal(std::string_view outcome) {
  impl_->lease_renewals.Add({{"outcome", std::string(outcome)}}).Increment();
}

void prometheus_metrics::worker_at_capacity() { impl_->worker_at_capacity.Increment(); }

void prometheus_metrics::lane_parked_claims(std::string_view lane, std::size_t parked) {
  impl_->lane_parked.Add({{"lane", std::string(lane)}}).Set(static_cast<double>(parked));
}

void prometheus_metrics::lane_retired(std::string_view lane) {
  const prometheus::Labels labels{{"lane", std::string(lane)}};
  if (impl_->lane_parked.Has(labels)) impl_->lane_parked.Remove(&impl_->lane_parked.Add(labels));
  if (impl_->claim_from_grant.Has(labels))
    impl_->claim_from_grant.Remove(&impl_->claim_from_grant.Add(labels, latency_buckets()));
}

std::string prometheus_metrics::serialize() const {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

} // namespace ff
