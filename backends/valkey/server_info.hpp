#pragma once
// Which server we talk to, from the text of `INFO server`, and whether it
// is recent enough for the function library.

#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace ff {

struct server_identity {
  std::string product;  // "redis" or "valkey"
  std::string version;  // e.g. "7.0.15"
};

// Functions (FUNCTION LOAD / FCALL) need Redis 7.0; Valkey is supported from
// 7.2 (its first release). Valkey also reports a redis_version for
// compatibility, so valkey_version wins when present.
expected<server_identity> check_server_info(std::string_view info);

} // namespace ff
