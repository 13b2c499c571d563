#pragma once
// Plain request/response values exchanged between the Beast session and the
// handlers. Kept free of Beast so handler files compile quickly and can be
// unit-tested without a socket.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ff {

struct http_request {
  std::string method;        // "GET", "POST", ... (HEAD is passed as GET to handlers)
  std::string path;          // raw path, still percent-encoded, without the query
  std::string query;         // raw query string without '?', empty when none
  bool has_content_type = false;
  std::string content_type;  // Content-Type header value
  std::string body;
};

struct http_response {
  unsigned status = 200;
  std::string content_type;  // empty: no Content-Type header
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static http_response json(unsigned status, std::string body) {
    http_response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
  }
  static http_response empty(unsigned status) {
    http_response r;
    r.status = status;
    return r;
  }
  // The first header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

bool iequals(std::string_view a, std::string_view b);

} // namespace ff
