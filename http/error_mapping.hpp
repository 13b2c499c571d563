#pragma once
// The one place where an engine_error becomes an HTTP status and JSON body
// (rest-api.md §1.4/§1.5 with the decisions.md §2 changes).

#include "core/engine_error.hpp"
#include "http/http_types.hpp"

namespace ff {

// Status, `error` text, `kind` (omitted when empty), `retryable` (omitted
// when unset) and whether a Retry-After header goes with it.
struct error_rendering {
  unsigned status = 500;
  std::string error;
  std::string kind;
  int retryable = -1; // -1 omitted, 0 false, 1 true
  bool retry_after = false;
};

error_rendering render_error(const engine_error& e);
http_response error_response(const engine_error& e);

// The 503 every request gets once the server is draining.
http_response shutting_down_response();

} // namespace ff
