#pragma once
// CORS (rest-api.md §1.9): fully permissive when any configured origin is
// `*`, otherwise an exact-match allow-list. /metrics is served without CORS.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"

namespace ff {

class cors_policy {
public:
  using header_list = std::vector<std::pair<std::string, std::string>>;

  // Drops entries that are not valid header values (with a warning); fails
  // when entries were configured but none is valid, rather than silently
  // falling back to permissive.
  static expected<cors_policy> create(const std::vector<std::string>& origins,
                                      bool auth_enabled);

  bool permissive() const { return permissive_; }
  const std::vector<std::string>& origins() const { return origins_; }

  // A preflight is OPTIONS carrying Access-Control-Request-Method.
  static bool is_preflight(std::string_view method, bool has_request_method);

  // Headers for a preflight answer. `origin` is nullptr without an Origin
  // header; the request-method/-headers pointers likewise.
  void preflight_headers(const std::string* origin, const std::string* request_method,
                         const std::string* request_headers, header_list& out) const;
  // Headers added to every other response.
  void response_headers(const std::string* origin, header_list& out) const;

private:
  bool origin_allowed(const std::string* origin) const;

  bool permissive_ = true;
  bool auth_enabled_ = false;
  std::vector<std::string> origins_;
};

} // namespace ff
