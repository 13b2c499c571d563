#pragma once
// Suspension, waitpoints and signals (§7; decisions.md §3, §5.1; valkey:
// valkey/valkey_suspension.cpp). Part of engine_backend. Their scanners
// (expire_suspensions, expire_pending_waitpoints) are in scanner_store.
//
// Tokens are minted and verified by the node (core/waitpoint_token) with
// the partition's secret ring; the store keeps the ring and each
// waitpoint's token but never computes a MAC.

#include <cstdint>
#include <string>

#include "core/expected.hpp"
#include "core/suspension.hpp"
#include "core/waitpoint_token.hpp"

namespace ff {

class suspension_store {
public:
  virtual ~suspension_store() = default;

  // Boot: installs `kid` when the partition has no current kid, repairs a
  // missing secret of the current kid; leaves another secret alone. Returns
  // installed, repaired, present or kept_existing.
  virtual expected<std::string> seed_waitpoint_hmac_secret(std::uint16_t partition,
                                                           const std::string& kid,
                                                           const std::string& secret_hex) = 0;
  // §7.5 rotation on one partition: invalid_kid / invalid_secret_hex /
  // invalid_grace_ms, rotation_conflict (same kid, other secret), else
  // rotated (or noop for the same kid and secret).
  virtual expected<rotate_secret_outcome> rotate_waitpoint_hmac_secret(
      std::uint16_t partition, const std::string& new_kid, const std::string& secret_hex,
      std::int64_t grace_ms) = 0;
  // The current kid and every retired kid still inside its grace.
  virtual expected<hmac_ring> get_waitpoint_hmac_ring(std::uint16_t partition) = 0;
  // Transition 16 under the full lease fence, binding 1..16 waitpoints (fresh
  // or activated pending ones) under one resume condition.
  virtual expected<suspend_outcome> suspend_execution(const suspend_args& args) = 0;
  // A waitpoint created under the lease ahead of the suspend.
  virtual expected<waitpoint_binding> create_pending_waitpoint(
      const create_pending_waitpoint_args& args) = 0;
  // §7.6 without the token check (the node verifies it first). A pending
  // waitpoint buffers the signal; a satisfying signal resumes the execution
  // (transition 17) and reports its lane so the caller wakes parked claims.
  virtual expected<deliver_signal_outcome> deliver_signal(const deliver_signal_args& args) = 0;
  // rest-api.md §2.4 entries (pending and active waitpoints), paginated.
  virtual expected<pending_waitpoint_page> list_pending_waitpoints(
      const list_pending_waitpoints_args& args) = 0;
  // The stored token of a waitpoint of this execution that is not closed;
  // not_found otherwise.
  virtual expected<std::string> get_waitpoint_token(const execution_id& id,
                                                    const std::string& waitpoint_id) = 0;
};

} // namespace ff
