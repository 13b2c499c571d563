#include "core/waitpoint_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>
#include <vector>

namespace ff {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string to_hex(const unsigned char* data, std::size_t len) {
  std::string out;
  out.reserve(len * 2);
  for (std::size_t i = 0; i < len; ++i) {
    out.push_back(hex_digits[data[i] >> 4]);
    out.push_back(hex_digits[data[i] & 0x0f]);
  }
  return out;
}

bool decode_hex(std::string_view hex, std::vector<unsigned char>& out) {
  if (!is_valid_secret_hex(hex))
    return false;
  out.resize(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<unsigned char>(hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]));
  return true;
}

// Lowercase hex HMAC-SHA256 of "<eid>|<wpid>", or "" when the secret is unusable.
std::string mac_hex(std::string_view secret_hex, std::string_view eid, std::string_view wpid) {
  std::vector<unsigned char> key;
  if (!decode_hex(secret_hex, key))
    return {};
  std::string message;
  message.reserve(eid.size() + 1 + wpid.size());
  message.append(eid).append("|").append(wpid);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), md.data(),
           &md_len) == nullptr)
    return {};
  return to_hex(md.data(), md_len);
}

engine_error token_error(const char* code) { return classify_store_error(code, ""); }

// A retired kid works for its grace period only.
bool kid_expired(const hmac_ring& ring, const std::string& kid, const hmac_kid& k,
                 std::int64_t now_ms) {
  return kid != ring.current_kid && (k.expires_at_ms <= 0 || now_ms > k.expires_at_ms);
}

// A typed answer for a secret the operator installed wrong: the node cannot
// mint tokens until it is fixed, which is no fault of the caller.
engine_error bad_secret(const std::string& detail) {
  engine_error e;
  e.kind = error_kind::unavailable;
  e.code = "waitpoint_secret_invalid";
  e.detail = detail;
  e.message = "waitpoint secret unusable: " + detail;
  return e;
}

} // namespace

bool is_valid_hmac_kid(std::string_view kid) {
  if (kid.empty() || kid.size() > max_hmac_kid_bytes)
    return false;
  for (char c : kid)
    if (c <= 0x20 || c >= 0x7f || c == ':')
      return false;
  return true;
}

bool is_valid_secret_hex(std::string_view hex) {
  if (hex.empty() || hex.size() % 2 != 0)
    return false;
  for (char c : hex)
    if (hex_value(c) < 0)
      return false;
  return true;
}

bool is_lower_hex(std::string_view s, std::size_t len) {
  if (s.size() != len)
    return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

expected<std::string> mint_waitpoint_token(const hmac_ring& ring, std::string_view execution_id,
                                           std::string_view waitpoint_id) {
  auto it = ring.kids.find(ring.current_kid);
  if (ring.current_kid.empty() || it == ring.kids.end())
    return bad_secret("no secret installed");
  std::string mac = mac_hex(it->second.secret_hex, execution_id, waitpoint_id);
  if (mac.empty())
    return bad_secret("the secret of kid " + ring.current_kid + " is not valid hex");
  return ring.current_kid + ":" + mac;
}

expected<unit> verify_waitpoint_token(const hmac_ring& ring, std::string_view token,
                                      std::string_view execution_id,
                                      std::string_view waitpoint_id, std::int64_t now_ms) {
  if (token.empty())
    return token_error("missing_token");
  const auto colon = token.find(':');
  if (colon == std::string_view::npos)
    return token_error("invalid_token");
  const std::string kid(token.substr(0, colon));
  const std::string_view digest = token.substr(colon + 1);
  if (!is_valid_hmac_kid(kid) || !is_lower_hex(digest, waitpoint_token_hex_len))
    return token_error("invalid_token");
  auto it = ring.kids.find(kid);
  if (it == ring.kids.end())
    return token_error("invalid_token");
  const std::string expected_mac = mac_hex(it->second.secret_hex, execution_id, waitpoint_id);
  if (expected_mac.size() != waitpoint_token_hex_len ||
      CRYPTO_memcmp(expected_mac.data(), digest.data(), waitpoint_token_hex_len) != 0)
    return token_error("invalid_token");
  // A genuine token whose kid was retired past its grace period: the
  // caller should know it expired rather than that it was forged.
  if (kid_expired(ring, kid, it->second, now_ms))
    return token_error("token_expired");
  return unit{};
}

std::string token_kid(std::string_view token) {
  const auto colon = token.find(':');
  return colon == std::string_view::npos ? std::string() : std::string(token.substr(0, colon));
}

std::string token_fingerprint(std::string_view token) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> md{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), md.data());
  return to_hex(md.data(), 8);
}

} // namespace ff
