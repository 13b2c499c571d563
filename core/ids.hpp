#pragma once
// Identifiers and partition math (execution-model.md §1).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace ff {

// CRC-16/XMODEM (poly 0x1021, init 0, no reflection): the Valkey Cluster CRC.
std::uint16_t crc16_xmodem(const void* data, std::size_t len);
std::uint16_t crc16_xmodem(std::string_view s);
// FNV-1a 64; fnv1a_u16_mod seeds per-worker partition scan offsets.
std::uint64_t fnv1a64(std::string_view s);
std::uint16_t fnv1a_u16_mod(std::string_view s, std::uint16_t m);
// Cluster hash slot of a key (honours the first {...} hash tag).
std::uint16_t cluster_slot(std::string_view key);

struct uuid {
  std::array<std::uint8_t, 16> bytes{};

  // Accepts hyphenated, 32-hex simple, {braced} and urn:uuid: forms.
  static std::optional<uuid> parse(std::string_view s);
  static uuid random_v4();
  // Lowercase hyphenated.
  std::string str() const;
  bool operator==(const uuid& o) const { return bytes == o.bytes; }
};

// Partition index of a flow / budget / quota id: crc16 of the 16 raw bytes.
std::uint16_t uuid_partition(const uuid& id, std::uint16_t partitions);
// Partition of a solo execution under the reference's rule (crc16 of the lane).
std::uint16_t lane_partition(std::string_view lane, std::uint16_t partitions);

// "{fp:N}", "{b:N}", "{q:N}".
std::string flow_partition_tag(std::uint16_t partition);
std::string budget_partition_tag(std::uint16_t partition);
std::string quota_partition_tag(std::uint16_t partition);

// `{fp:N}:<uuid>`. The string is kept verbatim (it is part of store keys).
struct execution_id {
  std::uint16_t partition = 0;
  std::string value;

  // On failure the error is invalid_input with the bare reason as message.
  static expected<execution_id> parse(std::string_view s);
  static execution_id mint(std::uint16_t partition);
  std::string tag() const { return flow_partition_tag(partition); }

  // The text determines the partition, so comparing it is enough; the
  // partition is compared too so a hand-built id never equals a parsed one
  // it disagrees with.
  friend bool operator==(const execution_id& a, const execution_id& b) {
    return a.partition == b.partition && a.value == b.value;
  }
  friend bool operator!=(const execution_id& a, const execution_id& b) { return !(a == b); }
};

// Lets a typed id travel in actor messages (the argument structs hold one).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_id& x) {
  return f(x.partition, x.value);
}

constexpr std::size_t max_lane_id_bytes = 64;

// What breaks the LaneId rule (rest-api.md §1.2: 1..64 bytes, each in
// 0x20..0x7E), checked in this order; callers word their own message.
struct lane_id_fault {
  enum kind_t : std::uint8_t { none, empty, too_long, bad_byte };
  kind_t kind = none;
  std::size_t at = 0; // bad_byte: index of the first offending byte

  bool ok() const { return kind == none; }
};
lane_id_fault check_lane_id(std::string_view s);
// LaneId: 1..64 bytes, each in 0x20..0x7E.
bool is_valid_lane_id(std::string_view s);
// WorkerId / WorkerInstanceId: 1..256 bytes, no whitespace or control bytes.
bool is_valid_worker_id(std::string_view s);

} // namespace ff
