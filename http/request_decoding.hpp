#pragma once
// Pieces shared by the request decoders of http/codecs/: the decode result,
// typed path parameters, the identifier rules of rest-api.md §3.13 (worker
// ids, LaneId) and the fence every lease-holder route carries.
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
#include "core/lease.hpp"
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

// Arguments of an operation on one execution, with the partition it lives on.
template <class T>
struct on_partition {
  std::uint16_t partition = 0;
  T args;
};

// Identifier rule (worker_id, worker_instance_id): empty when fine, else the
// full 400 text "<field>: <reason>".
std::string identifier_problem(std::string_view field, std::string_view value);
// LaneId rule: empty when fine, else the bare reason ("lane_id is empty").
std::string lane_id_problem(std::string_view lane);
// A worker named in a body, checked in the order of rest-api.md §3.13:
// worker_id, worker_instance_id, lane_id. Empty when fine, else the 400 text.
std::string worker_identity_problem(std::string_view worker_id,
                                    std::string_view worker_instance_id,
                                    std::string_view lane_id);

// A worker's capability tokens: each non-empty, without ',' or
// whitespace/control bytes; de-duplicated and sorted; at most 256 tokens and
// 4096 bytes joined. The sorted CSV, or a validation error
// `invalid_capabilities` with detail `worker:<reason>`.
expected<std::string> worker_capabilities_csv(std::vector<std::string> tokens);

// The `{id}` parameter as an execution id; false after filling `error` with
// 400 `invalid execution_id: <reason>`.
bool path_execution_id(const route_params& params, execution_id& out, http_response& error);
// The same for a route whose body repeats the id (`body_id`, read by
// execution_id_field): it must also equal the path id, compared verbatim
// since the text is part of the store keys (400 otherwise).
bool path_execution_id_matching(const route_params& params, const std::string& body_id,
                                execution_id& out, http_response& error);
// A `{worker_id}` parameter under the identifier rule (400 `worker_id: ...`).
bool path_worker_id(const route_params& params, std::string& out, http_response& error);
// The typed `{idx}` attempt index (u32); 400 `Invalid URL: ...` otherwise.
bool path_attempt_index(const route_params& params, std::uint32_t& out, http_response& error);

// A JSON string value as a UUID in canonical (lowercase hyphenated) form.
std::optional<std::string> canonical_uuid(std::string_view s);
// A UUID field read in canonical form; a non-UUID string is a shape error
// (rest-api.md §1.6: an invalid id inside the body is 422).
void uuid_field(field_reader& r, const char* name, std::string& out, bool required);
// The required `execution_id` body field, kept as sent; an unparsable id is
// a shape error (422).
void execution_id_field(field_reader& r, std::string& out);

// A query string that does not decode: 400 "Failed to deserialize query
// string: <detail>".
http_response query_error(const std::string& detail);

// A store-level validation code detected at the edge: same status and
// `kind` as when the store reports it.
http_response validation_failure(std::string code, std::string detail);

// Empty when `v` is a lease TTL in 1000..=3600000, else the 400 text.
std::string ttl_range_problem(const char* field, std::uint64_t v);
// Empty when `v` is a grant TTL in 1..=60000, else the 400 text.
std::string grant_ttl_problem(std::uint64_t v);

// The fence of decisions.md §5.1: lease_id (UUID), lease_epoch (u64) and
// attempt_index (u32) required, attempt_id (UUID) optional. Ids are kept in
// canonical form, the form the store was given when the lease was minted.
void read_fence(field_reader& r, lease_fence& fence);

// Carries the first failure of a reader of a nested object (whose prefix
// names the path) into the body's reader, so it is reported in body order.
void adopt_failure(field_reader& outer, const field_reader& inner);

// A lease-holder body: the fence and what `read_rest` reads (422 on a
// wrong shape), then the path id (400).
template <class Args, class ReadRest>
decoded<on_partition<Args>> decode_fenced(const route_params& path, const rapidjson::Value& body,
                                          ReadRest read_rest) {
  using result = on_partition<Args>;
  field_reader r(body);
  result out;
  read_fence(r, out.args.fence);
  read_rest(r, out.args);
  if (!r.ok()) return failed<result>(unprocessable_json(r.error()));
  execution_id id;
  http_response error;
  if (!path_execution_id(path, id, error)) return failed<result>(error);
  out.partition = id.partition;
  out.args.execution_id = std::move(id);
  return success(std::move(out));
}

} // namespace ff
