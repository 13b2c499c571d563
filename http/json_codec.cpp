#include "http/json_codec.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <rapidjson/error/en.h>

namespace ff {

namespace {

// The UTF-8 sequence at in[i]: its length when valid, else 0. `consumed`
// is how far a lossy decoder moves on: the whole sequence, or the longest
// valid prefix of a broken one (at least one byte), which becomes one
// U+FFFD (the substitution rule of Rust's from_utf8_lossy).
std::size_t utf8_sequence(std::string_view in, std::size_t i, std::size_t& consumed) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
  unsigned char b = byte(i);
  consumed = 1;
  if (b < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
  if (b >= 0xC2 && b <= 0xDF) len = 2;
  else if (b == 0xE0) { len = 3; lo = 0xA0; }
  else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) len = 3;
  else if (b == 0xED) { len = 3; hi = 0x9F; } // no surrogates
  else if (b == 0xF0) { len = 4; lo = 0x90; }
  else if (b >= 0xF1 && b <= 0xF3) len = 4;
  else if (b == 0xF4) { len = 4; hi = 0x8F; }
  if (len == 0) return 0;
  std::size_t k = 1;
  for (; k < len && i + k < in.size(); ++k) {
    unsigned char c = byte(i + k);
    bool fits = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
    if (!fits) break;
  }
  consumed = k;
  return k == len ? len : 0;
}

constexpr char replacement_character[] = "\xEF\xBF\xBD";

// Error texts are built from fixed words and request input; the input is
// echoed through echo_input, and this is the net under every other path.
std::string_view safe_text(std::string_view text, std::string& storage) {
  if (is_valid_utf8(text)) return text;
  storage = utf8_lossy(text);
  return storage;
}

} // namespace

http_response json_error(unsigned status, std::string_view error, std::string_view kind,
                         std::optional<bool> retryable, std::string_view detail) {
  std::string error_storage, detail_storage;
  error = safe_text(error, error_storage);
  detail = safe_text(detail, detail_storage);
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "error");
  write_string(w, error);
  if (!kind.empty()) {
    write_key(w, "kind");
    write_string(w, kind);
  }
  if (retryable) {
    write_key(w, "retryable");
    w.Bool(*retryable);
  }
  if (!detail.empty()) {
    write_key(w, "detail");
    write_string(w, detail);
  }
  w.EndObject();
  return http_response::json(status, std::string(buf.GetString(), buf.GetSize()));
}

http_response unsupported_media_type(std::string_view detail) {
  return json_error(415, "invalid JSON: Unsupported Media Type", "invalid_input", std::nullopt,
                    detail);
}

http_response malformed_json(std::string_view detail) {
  return json_error(400, "invalid JSON: Bad Request", "invalid_input", std::nullopt, detail);
}

http_response unprocessable_json(std::string_view detail) {
  return json_error(422, "invalid JSON: Unprocessable Entity", "invalid_input", std::nullopt,
                    detail);
}

http_response bad_request(std::string_view message) {
  return json_error(400, message, "invalid_input");
}

bool is_json_content_type(std::string_view ct) {
  auto semi = ct.find(';');
  auto mime = ct.substr(0, semi);
  while (!mime.empty() && (mime.back() == ' ' || mime.back() == '\t')) mime.remove_suffix(1);
  while (!mime.empty() && (mime.front() == ' ' || mime.front() == '\t')) mime.remove_prefix(1);
  std::string lower(mime);
  for (auto& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  if (lower == "application/json") return true;
  constexpr std::string_view app = "application/", suffix = "+json";
  return lower.size() > app.size() + suffix.size() && lower.compare(0, app.size(), app) == 0 &&
         lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0 &&
         lower.find('/', app.size()) == std::string::npos;
}

bool parse_json_text(std::string_view text, rapidjson::Document& doc, std::string* reason) {
  // Not kParseFullPrecisionFlag: RapidJSON 1.1's full-precision path turns
  // some numbers into garbage (found by fuzzing: "0e40" read as -2.4e229,
  // and so did 0.000... with 36 zeros and 184467440737095516155, through a
  // zero significand in DiyFp::Normalize). The default path is exact for
  // integers and for decimals of up to 15 digits, and within a few ulp
  // beyond.
  constexpr unsigned flags = rapidjson::kParseValidateEncodingFlag;
  doc.Parse<flags>(text.data(), text.size());
  if (!doc.HasParseError()) return true;
  if (reason) {
    *reason = text.find_first_not_of(" \t\r\n") == std::string_view::npos
                  ? std::string("empty body")
                  : std::string(rapidjson::GetParseError_En(doc.GetParseError())) +
                        " (at byte " + std::to_string(doc.GetErrorOffset()) + ")";
  }
  return false;
}

bool parse_json_body(const http_request& req, rapidjson::Document& doc, http_response& error) {
  if (!req.has_content_type) {
    error = unsupported_media_type("Content-Type: missing, expected application/json");
    return false;
  }
  if (!is_json_content_type(req.content_type)) {
    error = unsupported_media_type("Content-Type: expected application/json, got " +
                                   echo_input(req.content_type));
    return false;
  }
  std::string reason;
  if (!parse_json_text(req.body, doc, &reason)) {
    error = malformed_json(reason);
    return false;
  }
  if (!doc.IsObject()) {
    error = unprocessable_json("body: expected a JSON object");
    return false;
  }
  return true;
}

std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string json_quote(std::string_view s) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  write_string(w, s);
  return std::string(buf.GetString(), buf.GetSize());
}

void write_byte_array(json_writer& w, std::string_view bytes) {
  // The text of b followed by a comma, padded to 4 bytes so every element is
  // one 4-byte copy; `len` says how much of it counts.
  struct element {
    char text[4];
    std::uint8_t len;
  };
  static const auto table = [] {
    std::array<element, 256> t{};
    for (int b = 0; b < 256; ++b) {
      auto text = std::to_string(b) + ",";
      std::memcpy(t[b].text, text.data(), text.size());
      t[b].len = static_cast<std::uint8_t>(text.size());
    }
    return t;
  }();
  // The writer does its bookkeeping (the separator before this value) for
  // the opening bracket; the rest goes into its buffer directly.
  w.RawValue("[", 1, rapidjson::kArrayType);
  auto& out = w.stream();
  const std::size_t reserved = bytes.size() * 4 + 1;
  char* const start = out.Push(reserved);
  char* p = start;
  for (unsigned char b : bytes) {
    std::memcpy(p, table[b].text, 4);
    p += table[b].len;
  }
  if (!bytes.empty()) --p;  // the last comma
  *p++ = ']';
  out.Pop(static_cast<std::size_t>(start + reserved - p));
}

bool is_valid_utf8(std::string_view in) {
  for (std::size_t i = 0, consumed = 0; i < in.size(); i += consumed)
    if (utf8_sequence(in, i, consumed) == 0) return false;
  return true;
}

std::string utf8_lossy(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0, consumed = 0; i < in.size(); i += consumed) {
    if (utf8_sequence(in, i, consumed)) out.append(in.substr(i, consumed));
    else out += replacement_character;
  }
  return out;
}

std::string echo_input(std::string_view input) {
  std::string out;
  out.reserve(std::min(input.size(), max_echo_bytes) + 3);
  for (std::size_t i = 0, consumed = 0; i < input.size(); i += consumed) {
    std::size_t len = utf8_sequence(input, i, consumed);
    std::string_view piece = len ? input.substr(i, len) : std::string_view(replacement_character);
    if (out.size() + piece.size() > max_echo_bytes) {
      out += "\xE2\x80\xA6"; // U+2026, marks the cut
      break;
    }
    out.append(piece);
  }
  return out;
}

void field_reader::fail(std::string_view field, std::string_view problem) {
  if (!error_.empty()) return;
  error_ = prefix_;
  error_ += field;
  error_ += ": ";
  error_ += problem;
}

const rapidjson::Value* field_reader::find(const char* name) const {
  auto it = object_.FindMember(name);
  if (it == object_.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

bool field_reader::absent(const char* name, bool required) {
  if (find(name)) return false;
  if (required) fail(name, "missing required field");
  return true;
}

bool field_reader::string(const char* name, std::string& out, bool required) {
  if (!ok() || absent(name, required)) return false;
  const auto& v = *find(name);
  if (!v.IsString()) {
    fail(name, "expected a string");
    return false;
  }
  out.assign(v.GetString(), v.GetStringLength());
  return true;
}

bool field_reader::boolean(const char* name, bool& out, bool required) {
  if (!ok() || absent(name, required)) return false;
  const auto& v = *find(name);
  if (!v.IsBool()) {
    fail(name, "expected true or false");
    return false;
  }
  out = v.GetBool();
  return true;
}

bool field_reader::number(const char* name, double& out, bool required) {
  if (!ok() || absent(name, required)) return false;
  const auto& v = *find(name);
  if (!v.IsNumber()) {
    fail(name, "expected a number");
    return false;
  }
  out = v.GetDouble();
  return true;
}

bool field_reader::bytes(const char* name, std::string& out, bool required) {
  if (!ok() || absent(name, required)) return false;
  const auto& v = *find(name);
  if (!v.IsArray()) {
    fail(name, "expected an array of integers 0-255");
    return false;
  }
  std::string bytes;
  bytes.reserve(v.Size());
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    std::uint8_t b = 0;
    if (!json_to_integer(v[i], b)) {
      fail(std::string(name) + "[" + std::to_string(i) + "]", "expected an integer 0-255");
      return false;
    }
    bytes.push_back(static_cast<char>(b));
  }
  out = std::move(bytes);
  return true;
}

bool field_reader::string_map(const char* name, std::map<std::string, std::string>& out,
                              bool required) {
  if (!ok() || absent(name, required)) return false;
  const auto& v = *find(name);
  if (!v.IsObject()) {
    fail(name, "expected an object of strings");
    return false;
  }
  std::map<std::string, std::string> m;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    if (!it->value.IsString()) {
      fail(std::string(name) + "." + echo_input(key), "expected a string");
      return false;
    }
    m[key] = std::string(it->value.GetString(), it->value.GetStringLength());
  }
  out = std::move(m);
  return true;
}

bool field_reader::string_array(const char* name, std::vector<std::string>& out, bool required) {
  if (!ok() || absent(name, required)) return false;
  const auto& v = *find(name);
  if (!v.IsArray()) {
    fail(name, "expected an array of strings");
    return false;
  }
  std::vector<std::string> items;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    if (!v[i].IsString()) {
      fail(std::string(name) + "[" + std::to_string(i) + "]", "expected a string");
      return false;
    }
    items.emplace_back(v[i].GetString(), v[i].GetStringLength());
  }
  out = std::move(items);
  return true;
}

} // namespace ff
