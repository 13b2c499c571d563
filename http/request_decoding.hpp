#pragma once
// Pieces shared by the request decoders of the worker, operator and stream
// routes: the decode result, typed path parameters and the identifier rules
// of rest-api.md §3.13 (worker ids, LaneId).
//
// Decoders are pure functions of the path parameters and the parsed body so
// they can be unit-tested without a socket; they follow the evaluation
// order of rest-api.md §1.6 (typed path params → query → body shape (422) →
// handler checks (400), the path execution id being the first check).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/ids.hpp"
#include "http/http_types.hpp"
#include "http/json_codec.hpp"
#include "http/router.hpp"

namespace ff {

// Either the decoded arguments or the response to send instead.
template <class T>
struct decoded {
  std::optional<T> args;
  http_response error;

  explicit operator bool() const { return args.has_value(); }
  T* operator->() { return &*args; }
  const T* operator->() const { return &*args; }
  static decoded fail(http_response r) {
    decoded d;
    d.error = std::move(r);
    return d;
  }
};

template <class T>
decoded<T> failed(http_response r) {
  return decoded<T>::fail(std::move(r));
}

template <class T>
decoded<T> success(T value) {
  decoded<T> d;
  d.args = std::move(value);
  return d;
}

// Identifier rule (worker_id, worker_instance_id): empty when fine, else the
// full 400 text "<field>: <reason>".
std::string identifier_problem(std::string_view field, std::string_view value);
// LaneId rule: empty when fine, else the bare reason ("lane_id is empty").
std::string lane_id_problem(std::string_view lane);

// A worker's capability tokens: each non-empty, without ',' or
// whitespace/control bytes; de-duplicated and sorted; at most 256 tokens and
// 4096 bytes joined. The sorted CSV, or a validation error
// `invalid_capabilities` with detail `worker:<reason>`.
expected<std::string> worker_capabilities_csv(std::vector<std::string> tokens);

// The `{id}` parameter as an execution id; false after filling `error` with
// 400 `invalid execution_id: <reason>`.
bool path_execution_id(const route_params& params, execution_id& out, http_response& error);
// A `{worker_id}` parameter under the identifier rule (400 `worker_id: ...`).
bool path_worker_id(const route_params& params, std::string& out, http_response& error);
// The typed `{idx}` attempt index (u32); 400 `Invalid URL: ...` otherwise.
bool path_attempt_index(const route_params& params, std::uint32_t& out, http_response& error);

// A JSON string value as a UUID in canonical (lowercase hyphenated) form.
std::optional<std::string> canonical_uuid(std::string_view s);
// A UUID field read in canonical form; a non-UUID string is a shape error
// (rest-api.md §1.6: an invalid id inside the body is 422).
void uuid_field(field_reader& r, const char* name, std::string& out, bool required);

} // namespace ff
