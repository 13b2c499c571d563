#include "http/cors.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>

namespace ff {

namespace {

constexpr const char* vary_value =
    "origin, access-control-request-method, access-control-request-headers";

// RFC 7230 field-value: visible ASCII, space, tab and obs-text; no CR/LF/NUL.
bool valid_header_value(std::string_view v) {
  if (v.empty()) return false;
  for (unsigned char c : v)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

} // namespace

expected<cors_policy> cors_policy::create(const std::vector<std::string>& origins,
                                          bool auth_enabled) {
  cors_policy p;
  p.auth_enabled_ = auth_enabled;
  p.permissive_ = false;
  for (const auto& o : origins) {
    if (o == "*") {
      p.permissive_ = true;
      continue;
    }
    if (!valid_header_value(o)) {
      std::string shown = o; // no raw control characters in the log
      for (auto& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
      spdlog::warn("CORS origin '{}' is not a valid header value; ignored", shown);
      continue;
    }
    p.origins_.push_back(o);
  }
  if (!p.permissive_ && p.origins_.empty()) {
    if (origins.empty()) {
      p.permissive_ = true; // nothing configured: the documented default is `*`
    } else {
      engine_error e = engine_error::invalid_input(
          "invalid value for FF_CORS_ORIGINS: no entry is a valid origin header value");
      return e;
    }
  }
  return p;
}

bool cors_policy::is_preflight(std::string_view method, bool has_request_method) {
  return method == "OPTIONS" && has_request_method;
}

bool cors_policy::origin_allowed(const std::string* origin) const {
  return origin && std::find(origins_.begin(), origins_.end(), *origin) != origins_.end();
}

void cors_policy::preflight_headers(const std::string* origin,
                                    const std::string* request_method,
                                    const std::string* request_headers,
                                    header_list& out) const {
  if (permissive_) {
    out.emplace_back("Access-Control-Allow-Origin", "*");
    // Mirroring what the browser asks for means "any": a literal `*` would
    // not cover Authorization under the Fetch rules.
    out.emplace_back("Access-Control-Allow-Methods",
                     request_method && !request_method->empty() ? *request_method : "*");
    out.emplace_back("Access-Control-Allow-Headers",
                     request_headers && !request_headers->empty() ? *request_headers : "*");
  } else {
    if (origin_allowed(origin)) out.emplace_back("Access-Control-Allow-Origin", *origin);
    out.emplace_back("Access-Control-Allow-Methods", "GET, POST, PUT");
    out.emplace_back("Access-Control-Allow-Headers",
                     auth_enabled_ ? "content-type, authorization" : "content-type");
  }
  out.emplace_back("Vary", vary_value);
}

void cors_policy::response_headers(const std::string* origin, header_list& out) const {
  if (permissive_) {
    out.emplace_back("Access-Control-Allow-Origin", "*");
    out.emplace_back("Access-Control-Expose-Headers", "*");
  } else if (origin_allowed(origin)) {
    out.emplace_back("Access-Control-Allow-Origin", *origin);
  }
  out.emplace_back("Vary", vary_value);
}

} // namespace ff
