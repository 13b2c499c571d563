#include "http/handlers/lease_batch.hpp"

#include <memory>

namespace ff {

namespace {

struct lease_batch {
  engine_gateway& gateway;
  dispatch_request request;
  std::uint32_t count;
  lease_batch_done done;
  std::vector<claimed_lease> leases;
};

void take_next(std::shared_ptr<lease_batch> batch) {
  auto request = batch->request;
  batch->gateway.dispatch<ops::acquire_next_in_lane>(
      std::move(request), [batch](expected<acquire_outcome> r) {
        if (!r) {
          if (batch->leases.empty()) return batch->done({}, r.error());
          return batch->done(std::move(batch->leases), std::nullopt);
        }
        if (!r->acquired) return batch->done(std::move(batch->leases), std::nullopt);
        batch->leases.push_back(std::move(r->lease));
        if (batch->leases.size() >= batch->count)
          return batch->done(std::move(batch->leases), std::nullopt);
        // Only the first acquire waits for work.
        batch->request.wait_ms = 0;
        take_next(batch);
      });
}

} // namespace

void acquire_lease_batch(engine_gateway& gateway, dispatch_request request, std::uint32_t count,
                         lease_batch_done done) {
  auto batch = std::make_shared<lease_batch>(
      lease_batch{gateway, std::move(request), count < 1 ? 1u : count, std::move(done), {}});
  batch->leases.reserve(batch->count);
  take_next(std::move(batch));
}

} // namespace ff
