#include "http/request_decoding.hpp"

#include "core/validation.hpp"
#include "http/error_mapping.hpp"
#include "http/json_codec.hpp"

namespace ff {

namespace {

constexpr std::size_t max_identifier_bytes = 256;

// Rust's char::is_whitespace (the White_Space property) and char::is_control
// (general category Cc), which the reference's identifier rule uses.
bool unicode_whitespace_or_control(char32_t c) {
  if (c <= 0x20 || (c >= 0x7f && c <= 0xa0)) return true; // Cc, space, NEL, NBSP
  return c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
         c == 0x202f || c == 0x205f || c == 0x3000;
}

// Decodes one UTF-8 sequence at s[i]; false on a malformed one.
bool next_code_point(std::string_view s, std::size_t& i, char32_t& out) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || i + len > s.size()) return false;
  char32_t c = len == 1 ? b : len == 2 ? (b & 0x1f) : len == 3 ? (b & 0x0f) : (b & 0x07);
  for (std::size_t k = 1; k < len; ++k) {
    auto cont = static_cast<unsigned char>(s[i + k]);
    if ((cont & 0xc0) != 0x80) return false;
    c = (c << 6) | (cont & 0x3f);
  }
  static constexpr char32_t min_of_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < min_of_len[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return false;
  i += len;
  out = c;
  return true;
}

} // namespace

std::string identifier_problem(std::string_view field, std::string_view value) {
  std::string f(field);
  if (value.empty()) return f + ": must not be empty";
  if (value.size() > max_identifier_bytes)
    return f + ": exceeds 256 bytes (got " + std::to_string(value.size()) + ")";
  for (std::size_t i = 0; i < value.size();) {
    char32_t c = 0;
    // Bytes that are not UTF-8 cannot come from a JSON string; from a path
    // segment they would not be a valid Rust String either.
    if (!next_code_point(value, i, c)) return f + ": must be valid UTF-8";
    if (unicode_whitespace_or_control(c))
      return f + ": must not contain whitespace or control characters";
  }
  return {};
}

std::string lane_id_problem(std::string_view lane) {
  auto fault = check_lane_id(lane);
  switch (fault.kind) {
    case lane_id_fault::none: return {};
    case lane_id_fault::empty: return "lane_id is empty";
    case lane_id_fault::too_long:
      return "lane_id exceeds 64 bytes (got " + std::to_string(lane.size()) + ")";
    case lane_id_fault::bad_byte:
      return "lane_id contains non-ASCII-printable byte at index " + std::to_string(fault.at);
  }
  return {};
}

std::string worker_identity_problem(std::string_view worker_id,
                                    std::string_view worker_instance_id,
                                    std::string_view lane_id) {
  if (auto p = identifier_problem("worker_id", worker_id); !p.empty()) return p;
  if (auto p = identifier_problem("worker_instance_id", worker_instance_id); !p.empty()) return p;
  if (auto p = lane_id_problem(lane_id); !p.empty()) return "lane_id: " + p;
  return {};
}

expected<std::string> worker_capabilities_csv(std::vector<std::string> tokens) {
  // The same token rules as a required set (execution-model.md §5.2), so a
  // worker can only announce what an execution could require.
  return capabilities_csv(std::move(tokens), capability_set::worker);
}

bool path_execution_id(const route_params& params, execution_id& out, http_response& error) {
  const route_param* p = params.find("id");
  if (!p || !p->decoded) {
    error = bad_request("invalid execution_id: malformed percent-encoding");
    return false;
  }
  auto id = execution_id::parse(p->value);
  if (!id) {
    error = bad_request("invalid execution_id: " + id.error().text());
    return false;
  }
  out = std::move(*id);
  return true;
}

bool path_execution_id_matching(const route_params& params, const std::string& body_id,
                                execution_id& out, http_response& error) {
  if (!path_execution_id(params, out, error)) return false;
  if (body_id != out.value) {
    error = bad_request("path execution_id does not match body execution_id");
    return false;
  }
  return true;
}

bool path_worker_id(const route_params& params, std::string& out, http_response& error) {
  const route_param* p = params.find("worker_id");
  if (!p || !p->decoded) {
    error = bad_request("worker_id: malformed percent-encoding");
    return false;
  }
  if (auto problem = identifier_problem("worker_id", p->value); !problem.empty()) {
    error = bad_request(problem);
    return false;
  }
  out = p->value;
  return true;
}

bool path_attempt_index(const route_params& params, std::uint32_t& out, http_response& error) {
  const route_param* p = params.find("idx");
  if (!p || !p->decoded || !parse_decimal(p->value, out)) {
    std::string shown = p ? echo_input(p->value) : std::string();
    error = bad_request("Invalid URL: Cannot parse `" + shown + "` to a `u32`");
    return false;
  }
  return true;
}

std::optional<std::string> canonical_uuid(std::string_view s) {
  auto id = uuid::parse(s);
  if (!id) return std::nullopt;
  return id->str();
}

void uuid_field(field_reader& r, const char* name, std::string& out, bool required) {
  std::string text;
  if (!r.string(name, text, required)) return;
  if (auto id = canonical_uuid(text)) out = std::move(*id);
  else r.fail(name, "expected a UUID");
}

void execution_id_field(field_reader& r, std::string& out) {
  if (!r.string("execution_id", out, true)) return;
  if (auto id = execution_id::parse(out); !id)
    r.fail("execution_id", "invalid execution id: " + id.error().text());
}

http_response query_error(const std::string& detail) {
  return bad_request("Failed to deserialize query string: " + detail);
}

http_response validation_failure(std::string code, std::string detail) {
  return error_response(engine_error::validation(std::move(code), std::move(detail)));
}

std::string ttl_range_problem(const char* field, std::uint64_t v) {
  if (v < static_cast<std::uint64_t>(min_lease_ttl_ms) ||
      v > static_cast<std::uint64_t>(max_lease_ttl_ms))
    return std::string(field) + " must be in 1000..=3600000";
  return {};
}

std::string grant_ttl_problem(std::uint64_t v) {
  if (v < 1 || v > static_cast<std::uint64_t>(max_grant_ttl_ms))
    return "grant_ttl_ms must be in 1..=60000";
  return {};
}

void read_fence(field_reader& r, lease_fence& fence) {
  std::string lease_id;
  if (r.string("lease_id", lease_id, true)) {
    if (auto id = canonical_uuid(lease_id)) fence.lease_id = std::move(*id);
    else r.fail("lease_id", "expected a UUID");
  }
  r.integer("lease_epoch", fence.lease_epoch, true);
  r.integer("attempt_index", fence.attempt_index, true);
  std::string attempt_id;
  if (r.string("attempt_id", attempt_id, false)) {
    if (auto id = canonical_uuid(attempt_id)) fence.attempt_id = std::move(*id);
    else r.fail("attempt_id", "expected a UUID");
  }
}

void adopt_failure(field_reader& outer, const field_reader& inner) {
  if (inner.ok()) return;
  const auto& e = inner.error();
  auto colon = e.find(": ");
  outer.fail(e.substr(0, colon), colon == std::string::npos ? "" : e.substr(colon + 2));
}

} // namespace ff
