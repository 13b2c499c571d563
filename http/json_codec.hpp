#pragma once
// JSON helpers shared by every handler (RapidJSON): request-body parsing with
// the 415/400/422 rules of rest-api.md §1.6, a field reader that names the
// first bad field, and small writing helpers.

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "http/http_types.hpp"

namespace ff {

// RapidJSON's writer, with access to its buffer for values written raw.
class json_writer : public rapidjson::Writer<rapidjson::StringBuffer> {
public:
  using Writer::Writer;
  rapidjson::StringBuffer& stream() { return *os_; }
};

// A JSON error body: {"error":..,"kind":..,"retryable":..,"detail":..};
// `kind` and `detail` are omitted when empty, `retryable` when unset.
http_response json_error(unsigned status, std::string_view error, std::string_view kind = {},
                         std::optional<bool> retryable = std::nullopt,
                         std::string_view detail = {});

// The body-decoding failures. The `error` texts are the reference's; `kind`
// and `detail` (which field, what is wrong) are our additions.
http_response unsupported_media_type(std::string_view detail);
http_response malformed_json(std::string_view detail);   // 400
http_response unprocessable_json(std::string_view detail); // 422
// A query-string / path decoding failure or a handler-level check: 400.
http_response bad_request(std::string_view message);

// application/json (with parameters) or application/*+json.
bool is_json_content_type(std::string_view content_type);

// Checks the Content-Type, parses the body and requires a top-level object.
// On failure fills `error` with the 415/400/422 response.
bool parse_json_body(const http_request& req, rapidjson::Document& doc, http_response& error);

// Parses `text` as JSON; false on a syntax error (with a reason).
bool parse_json_text(std::string_view text, rapidjson::Document& doc, std::string* reason);

// The exact text of a member's value inside `json` (a document that already
// parsed), following `path` through nested objects: {"error","details"} is
// the `details` member of the top-level `error` object. The first member of
// a name wins, as with FindMember. Empty when absent.
std::optional<std::string_view> raw_member_text(std::string_view json,
                                                std::initializer_list<std::string_view> path);

// The byte offset of the first backslash-u escape in a string of `json` that
// is half of a surrogate pair without its other half, or npos. Such text
// decodes to bytes that are not UTF-8.
std::size_t find_unpaired_surrogate(std::string_view json);

std::string to_json(const rapidjson::Value& v);
// A JSON string literal, quotes included.
std::string json_quote(std::string_view s);

inline void write_string(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void write_key(json_writer& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void write_field(json_writer& w, std::string_view key, std::string_view value) {
  write_key(w, key);
  write_string(w, value);
}
inline void write_u64(json_writer& w, std::string_view key, std::uint64_t v) {
  write_key(w, key);
  w.Uint64(v);
}
// What a writer wrote into `buf`.
inline std::string json_text(const rapidjson::StringBuffer& buf) {
  return std::string(buf.GetString(), buf.GetSize());
}

// Bytes as a JSON array of integers 0..255 (rest-api.md §1.2). Written
// straight into the buffer from a digit table: payloads are kilobytes, and
// one Writer::Uint per byte was a visible share of a node's CPU.
void write_byte_array(json_writer& w, std::string_view bytes);

// Bytes as text the way the reference stores them: invalid UTF-8 sequences
// become U+FFFD (same substitution rule as Rust's from_utf8_lossy).
std::string utf8_lossy(std::string_view bytes);
bool is_valid_utf8(std::string_view bytes);

// Request input quoted in an error message (a path segment, a query value,
// a header): invalid UTF-8 becomes U+FFFD, and more than max_echo_bytes is
// cut on a character boundary and marked with U+2026. json_error makes any
// error text valid UTF-8 as well, but only echoes are bounded. Never used
// on payloads, which travel as bytes.
inline constexpr std::size_t max_echo_bytes = 200;
std::string echo_input(std::string_view input);

// Reads fields of one JSON object. Absent and `null` both count as "not
// set". The first failure is kept as "<prefix><field>: <problem>"; later
// calls after a failure are no-ops, so a decoder reads straight through and
// checks ok() once.
class field_reader {
public:
  explicit field_reader(const rapidjson::Value& object, std::string prefix = {})
      : object_(object), prefix_(std::move(prefix)) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  void fail(std::string_view field, std::string_view problem);

  // The member, or nullptr when absent or null.
  const rapidjson::Value* find(const char* name) const;

  bool string(const char* name, std::string& out, bool required);
  bool boolean(const char* name, bool& out, bool required);
  bool number(const char* name, double& out, bool required);
  // Integer in T's range; floats and out-of-range values fail.
  template <class T>
  bool integer(const char* name, T& out, bool required);
  // Array of integers 0..255 (a JSON string is rejected).
  bool bytes(const char* name, std::string& out, bool required);
  // Object of string values.
  bool string_map(const char* name, std::map<std::string, std::string>& out, bool required);
  // Array of strings.
  bool string_array(const char* name, std::vector<std::string>& out, bool required);

private:
  bool absent(const char* name, bool required);

  const rapidjson::Value& object_;
  std::string prefix_;
  std::string error_;
};

// Integer conversion used by field_reader::integer and query decoding.
template <class T>
bool json_to_integer(const rapidjson::Value& v, T& out) {
  static_assert(std::is_integral_v<T>);
  if (v.IsUint64()) {
    auto u = v.GetUint64();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return false;
    out = static_cast<T>(u);
    return true;
  }
  if (v.IsInt64()) { // negative here: non-negative values are IsUint64
    auto i = v.GetInt64();
    if constexpr (std::is_unsigned_v<T>) {
      return false;
    } else {
      if (i < static_cast<std::int64_t>(std::numeric_limits<T>::min())) return false;
      out = static_cast<T>(i);
      return true;
    }
  }
  return false;
}

template <class T>
const char* integer_type_name() {
  if constexpr (std::is_same_v<T, std::uint8_t>) return "an integer in 0..255";
  else if constexpr (std::is_same_v<T, std::uint16_t>) return "an integer in 0..65535 (u16)";
  else if constexpr (std::is_same_v<T, std::uint32_t>) return "an integer in 0..4294967295 (u32)";
  else if constexpr (std::is_same_v<T, std::uint64_t>) return "a non-negative integer (u64)";
  else if constexpr (std::is_same_v<T, std::int32_t>) return "an integer in the i32 range";
  else return "an integer in the i64 range";
}

template <class T>
bool field_reader::integer(const char* name, T& out, bool required) {
  if (!ok() || absent(name, required)) return false;
  if (!json_to_integer(*find(name), out)) {
    fail(name, std::string("expected ") + integer_type_name<T>());
    return false;
  }
  return true;
}

// Decimal text to an integer (query strings, path segments).
template <class T>
bool parse_decimal(std::string_view s, T& out) {
  static_assert(std::is_integral_v<T>);
  if (s.empty()) return false;
  bool negative = false;
  std::size_t i = 0;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    i = 1;
    if (s.size() == 1) return false;
    if (negative && std::is_unsigned_v<T>) return false;
  }
  using wide = std::conditional_t<std::is_unsigned_v<T>, std::uint64_t, std::int64_t>;
  wide v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    int d = s[i] - '0';
    if constexpr (std::is_unsigned_v<T>) {
      if (v > (std::numeric_limits<T>::max() - static_cast<unsigned>(d)) / 10) return false;
      v = v * 10 + static_cast<unsigned>(d);
    } else {
      // accumulate negatively so the minimum is representable
      if (v < (static_cast<std::int64_t>(std::numeric_limits<T>::min()) + d) / 10) return false;
      v = v * 10 - d;
    }
  }
  if constexpr (std::is_unsigned_v<T>) {
    out = static_cast<T>(v);
  } else {
    if (!negative) {
      if (v < -static_cast<std::int64_t>(std::numeric_limits<T>::max())) return false;
      v = -v;
    }
    out = static_cast<T>(v);
  }
  return true;
}

} // namespace ff
