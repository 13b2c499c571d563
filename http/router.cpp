#include "http/router.hpp"

#include <algorithm>

namespace ff {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  // The leading '/' starts the first segment; "/" alone is one empty segment.
  std::size_t start = 1;
  while (true) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      return out;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

} // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start <= q.size()) {
    auto amp = q.find('&', start);
    auto part = q.substr(start, amp == std::string_view::npos ? std::string_view::npos
                                                               : amp - start);
    if (!part.empty()) {
      auto eq = part.find('=');
      auto key = percent_decode(part.substr(0, eq), true);
      auto value = percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                               : part.substr(eq + 1),
                                  true);
      if (!key || !value) return std::nullopt;
      out.emplace_back(std::move(*key), std::move(*value));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return out;
}

void router::add(std::string method, std::string path_template, std::size_t payload) {
  route r;
  r.method = std::move(method);
  r.path_template = std::move(path_template);
  r.payload = payload;
  for (auto seg : split_path(r.path_template)) {
    segment s;
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      s.param = true;
      s.text = std::string(seg.substr(1, seg.size() - 2));
    } else {
      s.text = std::string(seg);
    }
    r.segments.push_back(std::move(s));
  }
  routes_.push_back(std::move(r));
}

router::match_result router::match(std::string_view method, std::string_view path) const {
  match_result result;
  if (path.empty() || path.front() != '/') return result;

  auto raw = split_path(path);
  std::vector<route_param> decoded;
  decoded.reserve(raw.size());
  for (auto seg : raw) {
    route_param p;
    if (auto d = percent_decode(seg)) {
      p.value = std::move(*d);
    } else {
      p.value = std::string(seg);
      p.decoded = false;
    }
    decoded.push_back(std::move(p));
  }

  std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
  std::vector<std::string_view> allowed;
  for (const auto& r : routes_) {
    if (r.segments.size() != decoded.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < decoded.size() && ok; ++i) {
      const auto& s = r.segments[i];
      ok = s.param ? !decoded[i].value.empty() : (decoded[i].decoded && s.text == decoded[i].value);
    }
    if (!ok) continue;
    if (r.method == wanted) {
      result.status = outcome::matched;
      result.payload = r.payload;
      result.path_template = &r.path_template;
      for (std::size_t i = 0; i < decoded.size(); ++i) {
        if (!r.segments[i].param) continue;
        decoded[i].name = r.segments[i].text;
        result.params.values.push_back(std::move(decoded[i]));
      }
      return result;
    }
    if (!result.path_template) result.path_template = &r.path_template;
    allowed.push_back(r.method);
    if (r.method == "GET") allowed.push_back("HEAD");
  }
  if (allowed.empty()) return result;
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  result.status = outcome::method_not_allowed;
  for (auto m : allowed) {
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += m;
  }
  return result;
}

} // namespace ff
