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

namespace {

// A scanner over JSON text that already parsed: it finds where values start
// and end, nothing more.
class json_span_scanner {
public:
  explicit json_span_scanner(std::string_view text) : t_(text) {}

  std::size_t skip_ws(std::size_t i) const {
    while (i < t_.size() && (t_[i] == ' ' || t_[i] == '\t' || t_[i] == '\n' || t_[i] == '\r')) ++i;
    return i;
  }

  // The end of the string starting at i (on its quote); decodes it into
  // `out` when given (escapes included, so keys compare as parsed).
  std::size_t string_end(std::size_t i, std::string* out) const {
    ++i;
    while (i < t_.size() && t_[i] != '"') {
      if (t_[i] != '\\') {
        if (out) out->push_back(t_[i]);
        ++i;
        continue;
      }
      char e = i + 1 < t_.size() ? t_[i + 1] : '\0';
      if (e == 'u') {
        unsigned cp = hex4(i + 2);
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 5 < t_.size() && t_[i] == '\\' && t_[i + 1] == 'u') {
          unsigned lo = hex4(i + 2);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        if (out) append_utf8(*out, cp);
        continue;
      }
      if (out) {
        switch (e) {
          case 'b': out->push_back('\b'); break;
          case 'f': out->push_back('\f'); break;
          case 'n': out->push_back('\n'); break;
          case 'r': out->push_back('\r'); break;
          case 't': out->push_back('\t'); break;
          default: out->push_back(e); break;
        }
      }
      i += 2;
    }
    return i + 1;
  }

  // The end of the value starting at i.
  std::size_t value_end(std::size_t i) const {
    if (i >= t_.size()) return i;
    if (t_[i] == '"') return string_end(i, nullptr);
    if (t_[i] == '{' || t_[i] == '[') {
      int depth = 0;
      while (i < t_.size()) {
        char c = t_[i];
        if (c == '"') {
          i = string_end(i, nullptr);
          continue;
        }
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') {
          if (--depth == 0) return i + 1;
        }
        ++i;
      }
      return i;
    }
    while (i < t_.size() && t_[i] != ',' && t_[i] != '}' && t_[i] != ']' && t_[i] != ' ' &&
           t_[i] != '\t' && t_[i] != '\n' && t_[i] != '\r')
      ++i;
    return i;
  }

  // The span of member `name` of the object starting at i, if any.
  std::optional<std::pair<std::size_t, std::size_t>> member(std::size_t i,
                                                            std::string_view name) const {
    i = skip_ws(i);
    if (i >= t_.size() || t_[i] != '{') return std::nullopt;
    i = skip_ws(i + 1);
    while (i < t_.size() && t_[i] == '"') {
      std::string key;
      i = skip_ws(string_end(i, &key));
      i = skip_ws(i + 1); // the colon
      std::size_t end = value_end(i);
      if (key == name) return std::make_pair(i, end);
      i = skip_ws(end);
      if (i < t_.size() && t_[i] == ',') i = skip_ws(i + 1);
    }
    return std::nullopt;
  }

private:
  unsigned hex4(std::size_t at) const {
    unsigned v = 0;
    for (std::size_t k = at; k < at + 4 && k < t_.size(); ++k) {
      char c = t_[k];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
    }
    return v;
  }
  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::string_view t_;
};

} // namespace

std::optional<std::string_view> raw_member_text(std::string_view json,
                                                std::initializer_list<std::string_view> path) {
  json_span_scanner scan(json);
  std::size_t at = 0;
  std::optional<std::pair<std::size_t, std::size_t>> span;
  for (auto name : path) {
    span = scan.member(at, name);
    if (!span) return std::nullopt;
    at = span->first;
  }
  if (!span) return std::nullopt;
  return json.substr(span->first, span->second - span->first);
}

std::size_t find_unpaired_surrogate(std::string_view json) {
  auto hex4 = [&](std::size_t at, unsigned& v) {
    if (at + 4 > json.size()) return false;
    v = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      char c = json[k];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else return false;
    }
    return true;
  };
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (!in_string) {
      if (c == '"') in_string = true;
      continue;
    }
    if (c == '"') {
      in_string = false;
      continue;
    }
    if (c != '\\') continue;
    if (i + 1 < json.size() && json[i + 1] == 'u') {
      unsigned cp = 0;
      if (!hex4(i + 2, cp)) return i;
      if (cp >= 0xDC00 && cp <= 0xDFFF) return i;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned lo = 0;
        bool paired = i + 7 < json.size() && json[i + 6] == '\\' && json[i + 7] == 'u' &&
                      hex4(i + 8, lo) && lo >= 0xDC00 && lo <= 0xDFFF;
        if (!paired) return i;
        i += 6; // the low half
      }
      i += 5;
      continue;
    }
    ++i; // the escaped character
  }
  return std::string_view::npos;
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
  if (!doc.HasParseError()) {
    // RapidJSON turns a lone low surrogate escape into bytes that are not UTF-8;
    // every string we keep must be text.
    auto at = find_unpaired_surrogate(text);
    if (at == std::string_view::npos) return true;
    if (reason)
      *reason = "unpaired UTF-16 surrogate in a \\u escape (at byte " + std::to_string(at) + ")";
    return false;
  }
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
