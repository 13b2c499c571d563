#pragma once
// JSON ⇄ the lease-holder routes that carry the fence (decisions.md §5.1;
// handlers/lease_ops.cpp): renew, complete, fail and progress.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "core/lease.hpp"
#include "http/request_decoding.hpp"

namespace ff {

decoded<on_partition<renew_lease_args>> decode_renew(const route_params& path,
                                                     const rapidjson::Value& body);
decoded<on_partition<complete_args>> decode_complete(const route_params& path,
                                                     const rapidjson::Value& body);
decoded<on_partition<fail_args>> decode_fail(const route_params& path,
                                             const rapidjson::Value& body);
decoded<on_partition<progress_args>> decode_progress(const route_params& path,
                                                     const rapidjson::Value& body);

// User data kept byte for byte: a result given as a JSON value, and a
// failure's error.details, are stored as the text the client wrote
// (`body_text` is the request body decode_complete / decode_fail read; a
// parse and re-serialisation would turn -0 into 0, 1e2 into 100.0 and lose
// digits).
void keep_result_text(std::string_view body_text, complete_args& args);
void keep_failure_details_text(std::string_view body_text, fail_args& args);

// Standard base64 (RFC 4648 §4), padding optional; false on anything else.
bool base64_decode(std::string_view in, std::string& out);

// What the `next` of a complete or fail got: its leases, and the error that
// stopped it before the first lease (the outcome itself stands).
struct next_leases {
  std::vector<claimed_lease> leases;
  std::optional<engine_error> error;
};

std::string encode_renew_outcome(const renew_outcome& outcome);
// {"outcome":"completed"}, the same for a replayed completion; with a
// `next`, also "next":[lease...] and, when it failed, "next_error":{..}.
std::string encode_complete_outcome(const next_leases* next = nullptr);
std::string encode_fail_outcome(const fail_outcome& outcome, const next_leases* next = nullptr);
// {"outcome":"ok"}
std::string encode_progress_outcome();

} // namespace ff
