#include "core/validation.hpp"

#include <algorithm>

namespace ff {

namespace {

const char* set_name(capability_set set) {
  return set == capability_set::worker ? "worker:" : "required:";
}

} // namespace

engine_error capabilities_error(std::string detail) {
  return engine_error::validation("invalid_capabilities", std::move(detail));
}

expected<unit> check_capability_tokens(const std::vector<std::string>& tokens,
                                       capability_set set) {
  auto fail = [&](const char* reason) {
    return capabilities_error(set_name(set) + std::string(reason));
  };
  for (const auto& t : tokens) {
    if (t.empty()) return fail("empty_token");
    if (t.find(',') != std::string::npos) return fail("comma_in_token");
    for (unsigned char ch : t)
      if (ch <= 0x20 || ch == 0x7f) return fail("control_or_whitespace");
  }
  return unit{};
}

expected<std::string> capabilities_csv(std::vector<std::string> tokens, capability_set set) {
  if (auto ok = check_capability_tokens(tokens, set); !ok) return std::move(ok).error();
  std::sort(tokens.begin(), tokens.end());
  if (set == capability_set::worker)
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  if (tokens.size() > max_capability_tokens)
    return capabilities_error(set_name(set) + std::string("too_many_tokens"));
  std::string csv;
  for (const auto& t : tokens) {
    if (!csv.empty()) csv.push_back(',');
    csv += t;
  }
  if (csv.size() > max_capability_csv_bytes)
    return capabilities_error(set_name(set) + std::string("too_many_bytes"));
  return csv;
}

} // namespace ff
