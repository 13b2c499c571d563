#include "backends/valkey/server_info.hpp"

#include <array>
#include <charconv>

namespace ff {

namespace {

// Value of `field:` in INFO text ("" when absent).
std::string info_field(std::string_view info, std::string_view field) {
  std::size_t pos = 0;
  while (pos < info.size()) {
    std::size_t end = info.find('\n', pos);
    if (end == std::string_view::npos)
      end = info.size();
    std::string_view line = info.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.size() > field.size() && line.substr(0, field.size()) == field &&
        line[field.size()] == ':')
      return std::string(line.substr(field.size() + 1));
    pos = end + 1;
  }
  return {};
}

// "7.0.15" -> {7, 0}; false when it does not start with two numbers.
bool major_minor(std::string_view version, std::array<int, 2>& out) {
  const char* p = version.data();
  const char* end = version.data() + version.size();
  for (int i = 0; i < 2; ++i) {
    auto [next, ec] = std::from_chars(p, end, out[i]);
    if (ec != std::errc() || next == p)
      return false;
    p = next;
    if (i == 0) {
      if (p == end || *p != '.')
        return false;
      ++p;
    }
  }
  return true;
}

engine_error unsupported(std::string message) {
  engine_error e = engine_error::internal(message);
  e.code = "unsupported_server";
  e.message = std::move(message);
  return e;
}

} // namespace

expected<server_identity> check_server_info(std::string_view info) {
  server_identity id;
  std::array<int, 2> minimum{};
  if (auto valkey = info_field(info, "valkey_version"); !valkey.empty()) {
    id = {"valkey", valkey};
    minimum = {7, 2};
  } else if (auto redis = info_field(info, "redis_version"); !redis.empty()) {
    id = {"redis", redis};
    minimum = {7, 0};
  } else {
    return unsupported("cannot tell the server version: INFO server has neither "
                       "redis_version nor valkey_version");
  }
  std::array<int, 2> actual{};
  if (!major_minor(id.version, actual))
    return unsupported("cannot parse the " + id.product + " version '" + id.version + "'");
  if (actual < minimum)
    return unsupported(id.product + " " + id.version + " is too old: flowfabric needs " +
                       id.product + " " + std::to_string(minimum[0]) + "." +
                       std::to_string(minimum[1]) + " or newer (Redis functions)");
  return id;
}

} // namespace ff
