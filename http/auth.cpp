#include "http/auth.hpp"

#include <string>

namespace ff {

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // volatile keeps the compiler from turning the loop into an early exit.
  volatile unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a[i]) ^
                                              static_cast<unsigned char>(b[i])));
  return diff == 0;
}

bool bearer_token_ok(const std::string* authorization, std::string_view token) {
  if (token.empty()) return true;
  if (!authorization) return false;
  constexpr std::string_view prefix = "Bearer ";
  std::string_view value(*authorization);
  if (value.substr(0, prefix.size()) != prefix) return false;
  return constant_time_equal(value.substr(prefix.size()), token);
}

bool auth_exempt_path(std::string_view raw_path) {
  return raw_path == "/healthz" || raw_path == "/metrics";
}

} // namespace ff
