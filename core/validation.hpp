#pragma once
// Validation rules written once for every layer: the HTTP codecs call them
// on request input, the backends on what the store answers.

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine_error.hpp"
#include "core/expected.hpp"

namespace ff {

constexpr std::size_t max_capability_tokens = 256;
constexpr std::size_t max_capability_csv_bytes = 4096;

// A validation error `invalid_capabilities` (400) with `detail`, e.g.
// "worker:empty_token".
engine_error capabilities_error(std::string detail);

// Whose capability tokens (execution-model.md §5.2): a worker's announced
// set (de-duplicated) or an execution's required set (kept as given). The
// detail of an error names it: "worker:<reason>" / "required:<reason>".
enum class capability_set : std::uint8_t { worker, required };

// Each token non-empty, without ',' and without whitespace or control
// bytes; the first failing token's error.
expected<unit> check_capability_tokens(const std::vector<std::string>& tokens,
                                       capability_set set);
// The tokens, then the set: sorted (a worker's de-duplicated), at most 256
// tokens and 4096 bytes joined. The CSV.
expected<std::string> capabilities_csv(std::vector<std::string> tokens, capability_set set);

// Decimal text (the whole of it) to an integer; empty text reads as 0, the
// way the store leaves a number unset.
template <class Int>
bool parse_int(std::string_view text, Int& out) {
  if (text.empty()) {
    out = 0;
    return true;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

} // namespace ff
