#pragma once
// Collects up to `count` leases for one worker: the first acquire may
// long-poll (wait_ms), the rest take only what is ready now. Used by
// acquire with max_tasks and by the `next` of complete and fail.

#include <functional>
#include <optional>
#include <vector>

#include "actors/engine_gateway.hpp"
#include "core/lease.hpp"

namespace ff {

// `done` gets every lease taken, and the error that stopped the collection
// when it stopped before the first lease. Once a lease is held, a later
// error only ends the collection: the leases taken are never dropped.
using lease_batch_done =
    std::function<void(std::vector<claimed_lease> leases, std::optional<engine_error> error)>;

void acquire_lease_batch(engine_gateway& gateway, dispatch_request request, std::uint32_t count,
                         lease_batch_done done);

} // namespace ff
