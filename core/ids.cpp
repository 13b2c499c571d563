#include "core/ids.hpp"

#include <charconv>
#include <openssl/rand.h>

namespace ff {

std::uint16_t crc16_xmodem(const void* data, std::size_t len) {
  auto* p = static_cast<const std::uint8_t*>(data);
  std::uint16_t crc = 0;
  for (std::size_t i = 0; i < len; ++i) {
    crc ^= static_cast<std::uint16_t>(p[i]) << 8;
    for (int b = 0; b < 8; ++b)
      crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<std::uint16_t>(crc << 1);
  }
  return crc;
}

std::uint16_t crc16_xmodem(std::string_view s) { return crc16_xmodem(s.data(), s.size()); }

std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::uint16_t fnv1a_u16_mod(std::string_view s, std::uint16_t m) {
  return m == 0 ? 0 : static_cast<std::uint16_t>((fnv1a64(s) & 0xffff) % m);
}

std::uint16_t cluster_slot(std::string_view key) {
  auto open = key.find('{');
  if (open != std::string_view::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1)
      key = key.substr(open + 1, close - open - 1);
  }
  return crc16_xmodem(key) & 16383;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

} // namespace

std::optional<uuid> uuid::parse(std::string_view s) {
  constexpr std::string_view urn = "urn:uuid:";
  if (s.size() > urn.size() && s.substr(0, urn.size()) == urn)
    s.remove_prefix(urn.size());
  else if (s.size() == 38 && s.front() == '{' && s.back() == '}')
    s = s.substr(1, 36);
  uuid out;
  if (s.size() == 32) {
    for (std::size_t i = 0; i < 16; ++i) {
      int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
  }
  if (s.size() != 36) return std::nullopt;
  std::size_t byte = 0;
  for (std::size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.bytes[byte++] = static_cast<std::uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return out;
}

uuid uuid::random_v4() {
  uuid out;
  if (RAND_bytes(out.bytes.data(), static_cast<int>(out.bytes.size())) != 1) {
    // RAND_bytes only fails without an entropy source; fall back rather than
    // minting an all-zero id.
    for (auto& b : out.bytes) b = static_cast<std::uint8_t>(std::rand());
  }
  out.bytes[6] = static_cast<std::uint8_t>((out.bytes[6] & 0x0f) | 0x40);
  out.bytes[8] = static_cast<std::uint8_t>((out.bytes[8] & 0x3f) | 0x80);
  return out;
}

std::string uuid::str() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 0xf]);
  }
  return out;
}

std::uint16_t uuid_partition(const uuid& id, std::uint16_t partitions) {
  return partitions == 0 ? 0
                         : static_cast<std::uint16_t>(
                             crc16_xmodem(id.bytes.data(), id.bytes.size()) % partitions);
}

std::uint16_t lane_partition(std::string_view lane, std::uint16_t partitions) {
  return partitions == 0 ? 0 : static_cast<std::uint16_t>(crc16_xmodem(lane) % partitions);
}

std::string flow_partition_tag(std::uint16_t p) { return "{fp:" + std::to_string(p) + "}"; }
std::string budget_partition_tag(std::uint16_t p) { return "{b:" + std::to_string(p) + "}"; }
std::string quota_partition_tag(std::uint16_t p) { return "{q:" + std::to_string(p) + "}"; }

expected<execution_id> execution_id::parse(std::string_view s) {
  constexpr std::string_view prefix = "{fp:";
  if (s.substr(0, prefix.size()) != prefix)
    return engine_error::invalid_input("must start with {fp:");
  auto close = s.find("}:");
  if (close == std::string_view::npos)
    return engine_error::invalid_input("missing }: after the partition index");
  auto digits = s.substr(prefix.size(), close - prefix.size());
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() ||
      value > 0xffff)
    return engine_error::invalid_input("partition index is not a u16");
  auto rest = s.substr(close + 2);
  if (!uuid::parse(rest))
    return engine_error::invalid_input("suffix is not a UUID");
  execution_id id;
  id.partition = static_cast<std::uint16_t>(value);
  id.value = std::string(s);
  return id;
}

execution_id execution_id::mint(std::uint16_t partition) {
  execution_id id;
  id.partition = partition;
  id.value = flow_partition_tag(partition) + ":" + uuid::random_v4().str();
  return id;
}

lane_id_fault check_lane_id(std::string_view s) {
  if (s.empty()) return {lane_id_fault::empty, 0};
  if (s.size() > max_lane_id_bytes) return {lane_id_fault::too_long, 0};
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c > 0x7e) return {lane_id_fault::bad_byte, i};
  }
  return {};
}

bool is_valid_lane_id(std::string_view s) { return check_lane_id(s).ok(); }

bool is_valid_worker_id(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (unsigned char c : s)
    if (c <= 0x20 || c == 0x7f) return false;
  return true;
}

} // namespace ff
