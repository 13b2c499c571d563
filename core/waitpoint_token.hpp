#pragma once
// Waitpoint tokens (decisions.md §3): `<kid>:<64 lowercase hex>` where the
// hex is HMAC-SHA256(key = hex-decoded secret of kid,
// message = "<execution_id>|<waitpoint_id>"), computed with OpenSSL in the
// node. The store keeps the secret ring (one per flow partition) and stores
// each waitpoint's token, but never computes a MAC.
//
// Because the MAC covers only ids the caller already presents, a token is
// verified before any store read: a malformed token, an unknown or retired
// kid, and a wrong digest all give the same `invalid_token` answer, so a
// probe for a waitpoint that does not exist learns nothing.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace ff {

struct hmac_kid {
  std::string secret_hex;         // even-length hex
  std::int64_t expires_at_ms = 0; // 0 = the current kid (no expiry)
};

// The secret ring of one flow partition as the store holds it.
struct hmac_ring {
  std::string current_kid;        // empty = no secret installed
  std::map<std::string, hmac_kid> kids; // includes the current kid
};

// Digest length in hex characters.
constexpr std::size_t waitpoint_token_hex_len = 64;

constexpr std::size_t max_hmac_kid_bytes = 64;
// A secret longer than this (hex characters) is refused at rotation.
constexpr std::size_t max_secret_hex_chars = 1024;

// A kid: non-empty, at most max_hmac_kid_bytes, printable ASCII without ':'.
bool is_valid_hmac_kid(std::string_view kid);
// A secret: non-empty, even-length, hex digits (either case).
bool is_valid_secret_hex(std::string_view hex);
// Exactly `len` lowercase hex digits.
bool is_lower_hex(std::string_view s, std::size_t len);

// Mints the token of (execution_id, waitpoint_id) with the ring's current
// kid. Errors: internal when the ring has no usable current secret.
expected<std::string> mint_waitpoint_token(const hmac_ring& ring, std::string_view execution_id,
                                           std::string_view waitpoint_id);

// Verifies a token in constant time. The current kid always verifies; a
// retired kid only while now_ms <= its expires_at_ms. Errors (kind
// validation): `missing_token` for an empty token, `invalid_token` for every
// other failure (one identical answer).
expected<unit> verify_waitpoint_token(const hmac_ring& ring, std::string_view token,
                                      std::string_view execution_id,
                                      std::string_view waitpoint_id, std::int64_t now_ms);

// The kid prefix of a token ("" when it has no ':').
std::string token_kid(std::string_view token);
// 16 lowercase hex: the first 8 bytes of SHA-256(token). A digest of the
// whole token, so a listing that shows it reveals nothing of the MAC.
std::string token_fingerprint(std::string_view token);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hmac_kid& x) {
  return f(x.secret_hex, x.expires_at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hmac_ring& x) {
  return f(x.current_kid, x.kids);
}

} // namespace ff
