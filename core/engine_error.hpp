#pragma once
// The one error taxonomy of the engine. Every layer reports failures as an
// engine_error; http/error_mapping.cpp is the only place that turns one into
// an HTTP status and body.

#include <cstdint>
#include <string>

namespace ff {

enum class error_kind : std::uint8_t {
  invalid_input,      // request validation at the edge (400)
  validation,         // store-level validation code (400, "<code>: <detail>")
  not_found,          // 404
  conflict,           // 409, never retryable
  contention,         // 409 / 429 / 500 by code, see classify_store_error
  state,              // 409, never retryable
  resource_exhausted, // 429 with Retry-After: a bounded queue or permit pool is full
  unavailable,        // 503: shutting down, the store is down, or the backend lacks the operation
  transport,          // 503: the backend connection failed (retryable)
  timeout,            // 503: no answer in time (retryable)
  internal,           // 500: a bug or corrupt data
};

struct engine_error {
  error_kind kind = error_kind::internal;
  // Stable snake_case reason: the store's code ("stale_lease"), the HTTP
  // `kind` for conflicts/contention/state, or the pool name when exhausted.
  std::string code;
  // Free text after the code ("required:comma_in_token").
  std::string detail;
  // When set, the exact human-readable `error` text (server-level messages
  // such as "execution not found: <eid>").
  std::string message;
  bool retryable = false;
  std::uint64_t limit = 0; // the pool bound for resource_exhausted

  static engine_error invalid_input(std::string message);
  // A store-level validation code ("invalid_capabilities"), whether the
  // store reports it or the edge finds it first.
  static engine_error validation(std::string code, std::string detail);
  static engine_error not_found(std::string message);
  static engine_error resource_exhausted(std::string pool, std::uint64_t max);
  static engine_error unavailable(std::string op);
  // The store cannot be reached right now (retryable, 503 with Retry-After).
  static engine_error store_unavailable(std::string reason);
  static engine_error transport(std::string detail);
  static engine_error timeout(std::string detail);
  static engine_error internal(std::string detail);

  // The human-readable text, built from the fields when `message` is empty.
  std::string text() const;
};

// Turns a reason code reported by the store (Lua `[0, code, detail...]` or a
// SQL operation) into a classified error, following rest-api.md §1.5 with the
// decisions.md fixes (missing_token / token_expired are validation errors).
engine_error classify_store_error(const std::string& code, const std::string& detail);

const char* to_string(error_kind kind);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, engine_error& x) {
  return f(reinterpret_cast<std::uint8_t&>(x.kind), x.code, x.detail, x.message,
           x.retryable, x.limit);
}

} // namespace ff
