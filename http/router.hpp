#pragma once
// Route templates with `{name}` placeholders, each matching exactly one
// non-empty path segment. Segments are percent-decoded before matching, so
// `%7Bfp:3%7D:<uuid>` and `{fp:3}:<uuid>` reach a handler as the same id.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ff {

// Percent-decodes `s`; nullopt on a malformed escape. With `plus_as_space`
// ('+' → ' ') for query strings (application/x-www-form-urlencoded).
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space = false);

// key=value pairs of a query string, decoded; nullopt when an escape is
// malformed. Pairs keep their order; a key without '=' has an empty value.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view q);

struct route_param {
  std::string name;
  std::string value;     // decoded, or the raw segment when decoding failed
  bool decoded = true;   // false: malformed percent-encoding
};

struct route_params {
  std::vector<route_param> values;
  const route_param* find(std::string_view name) const {
    for (const auto& p : values)
      if (p.name == name) return &p;
    return nullptr;
  }
};

class router {
public:
  // `payload` is handed back on a match (the caller's route-table index).
  void add(std::string method, std::string path_template, std::size_t payload);

  enum class outcome { matched, not_found, method_not_allowed };
  struct match_result {
    outcome status = outcome::not_found;
    std::size_t payload = 0;           // of the matched route
    const std::string* path_template = nullptr; // of the matched (or method-mismatched) path
    route_params params;
    std::string allow;                 // "GET, HEAD, POST" on method_not_allowed
  };
  // HEAD matches a GET route. `path` is the raw path (no query).
  match_result match(std::string_view method, std::string_view path) const;

private:
  struct segment {
    std::string text;   // literal text or the parameter name
    bool param = false;
  };
  struct route {
    std::string method;
    std::string path_template;
    std::vector<segment> segments;
    std::size_t payload = 0;
  };
  std::vector<route> routes_;
};

} // namespace ff
