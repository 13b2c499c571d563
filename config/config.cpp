#include "config/config.hpp"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string_view>
#include <thread>

#include <CLI/CLI.hpp>

#include "core/ids.hpp"

namespace ff {

std::uint32_t default_backend_pool_size() {
  auto cores = std::thread::hardware_concurrency();
  return std::clamp<std::uint32_t>(cores, 2, 4);
}

std::uint32_t default_max_connections(std::uint64_t descriptor_limit,
                                      std::uint32_t backend_pool_size,
                                      std::uint32_t max_concurrent_stream_ops) {
  constexpr std::uint64_t floor = 16;
  const std::uint64_t reserve =
      64 + std::uint64_t{backend_pool_size} + std::uint64_t{max_concurrent_stream_ops};
  std::uint64_t left = descriptor_limit > reserve ? descriptor_limit - reserve : 0;
  left = std::clamp<std::uint64_t>(left, floor, std::numeric_limits<std::uint32_t>::max());
  return static_cast<std::uint32_t>(left);
}

std::uint64_t descriptor_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
    return std::numeric_limits<std::uint32_t>::max();
  return lim.rlim_cur;
}

namespace {

// Thrown inside this file only; parse_config turns it into the error line.
struct invalid_setting {
  std::string line;
};

[[noreturn]] void reject(std::string_view name, std::string_view why) {
  throw invalid_setting{"invalid value for " + std::string(name) + ": " + std::string(why)};
}

// A value echoed back in an error, kept on one line and short.
std::string shown(std::string_view value) {
  constexpr std::size_t max_shown = 80;
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size() && i < max_shown; ++i) {
    auto c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  if (value.size() > max_shown) out += "...";
  out += '"';
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Comma list: entries trimmed, empty entries dropped.
std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    auto comma = s.find(',');
    auto entry = trim(s.substr(0, comma));
    if (!entry.empty()) out.emplace_back(entry);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// Decimal digits only: no sign, no spaces, no hex, so a typo never turns
// into a surprising number.
std::uint64_t parse_unsigned(std::string_view name, std::string_view text, std::uint64_t min,
                             std::uint64_t max) {
  auto range = [&] {
    if (max == std::numeric_limits<std::uint64_t>::max())
      return "expected an integer >= " + std::to_string(min) + ", got " + shown(text);
    return "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
           ", got " + shown(text);
  };
  if (text.empty()) reject(name, range());
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') reject(name, range());
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) reject(name, range());
    v = v * 10 + digit;
  }
  if (v < min || v > max) reject(name, range());
  return v;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The LaneId rule of core/ids.hpp, in this file's wording. split_list
// drops empty entries, so an empty lane never reaches it.
std::string lane_id_problem(std::string_view lane) {
  switch (check_lane_id(lane).kind) {
    case lane_id_fault::none:
    case lane_id_fault::empty: return {};
    case lane_id_fault::too_long: return "lane id longer than 64 bytes: " + shown(lane);
    case lane_id_fault::bad_byte: return "lane id with a byte outside 0x20-0x7E: " + shown(lane);
  }
  return {};
}

// What an HTTP header value may hold (visible ASCII, space, tab), the same
// rule the reference applies before dropping a CORS entry.
bool is_header_value(std::string_view s) {
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (!(b == '\t' || (b >= 0x20 && b < 0x7f))) return false;
  }
  return true;
}

struct listen_address {
  std::string host;
  std::uint16_t port = 0;
};

// host:port, where host is a name, an IPv4 address or a bracketed IPv6
// address ([::1]:9090). Port 0 asks the OS for a free port.
listen_address parse_listen_address(std::string_view name, std::string_view text) {
  const std::string example = " (expected host:port, e.g. 0.0.0.0:9090 or [::1]:9090)";
  listen_address out;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      reject(name, shown(text) + " is not a valid address" + example);
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    in6_addr v6{};
    std::string host_str(host);
    if (inet_pton(AF_INET6, host_str.c_str(), &v6) != 1)
      reject(name, shown(host) + " is not an IPv6 address" + example);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      reject(name, shown(text) + " has no port" + example);
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      reject(name, "an IPv6 address needs brackets: " + shown(text) + example);
    if (host.empty()) reject(name, shown(text) + " has no host" + example);
    bool dotted_digits = std::all_of(host.begin(), host.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.';
    });
    std::string host_str(host);
    in_addr v4{};
    if (dotted_digits && inet_pton(AF_INET, host_str.c_str(), &v4) != 1)
      reject(name, shown(host) + " is not an IPv4 address" + example);
    for (char c : host) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '.' || c == '_';
      if (!ok) reject(name, shown(host) + " is not a host name" + example);
    }
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoul(std::string(port)) > 65535)
    reject(name, "port " + shown(port) + " is not a number from 0 to 65535");
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(std::stoul(std::string(port)));
  return out;
}

std::string format_listen_address(const std::string& host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// The scanner intervals of rest-api.md §4, keyed by variable name; a name
// ending in _S is in seconds, _MS in milliseconds.
struct interval_default {
  const char* name;
  std::uint64_t value; // in the variable's own unit
};
constexpr interval_default scanner_interval_defaults[] = {
  {"FF_LEASE_EXPIRY_INTERVAL_MS", 1500},
  {"FF_DELAYED_PROMOTER_INTERVAL_MS", 750},
  {"FF_INDEX_RECONCILER_INTERVAL_S", 45},
  {"FF_ATTEMPT_TIMEOUT_INTERVAL_S", 2},
  {"FF_SUSPENSION_TIMEOUT_INTERVAL_S", 2},
  {"FF_PENDING_WP_EXPIRY_INTERVAL_S", 5},
  {"FF_RETENTION_TRIMMER_INTERVAL_S", 60},
  {"FF_BUDGET_RESET_INTERVAL_S", 15},
  {"FF_BUDGET_RECONCILER_INTERVAL_S", 30},
  {"FF_QUOTA_RECONCILER_INTERVAL_S", 30},
  {"FF_UNBLOCK_INTERVAL_S", 5},
  {"FF_DEPENDENCY_RECONCILER_INTERVAL_S", 15},
  {"FF_FLOW_PROJECTOR_INTERVAL_S", 15},
  {"FF_EXECUTION_DEADLINE_INTERVAL_S", 5},
  {"FF_CANCEL_RECONCILER_INTERVAL_S", 15},
  {"FF_EDGE_CANCEL_DISPATCHER_INTERVAL_S", 1},
  {"FF_EDGE_CANCEL_RECONCILER_INTERVAL_S", 10},
};

bool in_seconds(std::string_view name) {
  return name.size() >= 2 && name.substr(name.size() - 2) == "_S";
}

constexpr const char* log_levels[] = {"trace", "debug", "info", "warn", "error"};

class env_reader {
public:
  env_reader(env_lookup lookup, void* ctx, std::vector<std::string>& warnings)
      : lookup_(lookup), ctx_(ctx), warnings_(warnings) {}

  std::optional<std::string> get(const char* name) const {
    return lookup_ ? lookup_(name, ctx_) : std::nullopt;
  }

  template <class T>
  void number(const char* name, T& out, std::uint64_t min,
              std::uint64_t max = std::numeric_limits<T>::max()) const {
    if (auto v = get(name)) out = static_cast<T>(parse_unsigned(name, *v, min, max));
  }

  // rest-api.md §4: true iff "1" or "true" (any case). Anything else is
  // false as in the reference, but a value that looks like an attempt at
  // "yes" earns a warning instead of silently meaning "no".
  void flag(const char* name, bool& out) const {
    auto v = get(name);
    if (!v) return;
    auto l = lower(*v);
    out = l == "1" || l == "true";
    if (!out && !l.empty() && l != "0" && l != "false")
      warnings_.push_back(std::string(name) + "=" + shown(*v) +
                          " is treated as false; use 1 or true to enable it");
  }

  void non_empty_text(const char* name, std::string& out) const {
    if (auto v = get(name)) {
      if (v->empty()) reject(name, "must not be empty");
      out = *v;
    }
  }

  void warn(std::string line) const { warnings_.push_back(std::move(line)); }

private:
  env_lookup lookup_;
  void* ctx_;
  std::vector<std::string>& warnings_;
};

struct command_line {
  bool dev = false;
  bool print_config = false;
  std::optional<std::string> data_dir;
  std::optional<std::string> listen;
};

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return std::string(trim(s));
}

// Returns false when parsing must stop (help printed, or a bad argument).
bool parse_command_line(int argc, const char* const* argv, command_line& cl,
                        config_parse_result& result) {
  CLI::App app{"ff-node: a durable-execution runtime node (REST API over Valkey/Redis).\n"
               "Settings come from FF_* environment variables (see README.md); the flags\n"
               "below take precedence over them.",
               "ff-node"};
  std::string data_dir, listen;
  app.add_flag("--dev", cl.dev,
               "Dev mode (same as FF_DEV_MODE=1): listen on 127.0.0.1, run a private "
               "redis-server with its data under the data folder, generate the waitpoint "
               "secret there");
  app.add_flag("--print-config", cl.print_config,
               "Print the effective configuration (secrets masked) and exit");
  auto* data_dir_opt = app.add_option("--data-dir", data_dir,
                                      "Data folder for dev mode (FF_DATA_DIR, default ./ff-data)");
  auto* listen_opt =
    app.add_option("--listen", listen, "HTTP address HOST:PORT (FF_LISTEN_ADDR, default "
                                       "0.0.0.0:9090; 127.0.0.1:9090 in dev mode)");
  data_dir_opt->type_name("DIR");
  listen_opt->type_name("HOST:PORT");
  if (argc < 1 || argv == nullptr) return true;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    result.output = app.help();
    result.exit_now = true;
    return false;
  } catch (const CLI::ParseError& e) {
    result.error = "invalid command line: " + one_line(e.what()) + " (see --help)";
    return false;
  }
  if (data_dir_opt->count() > 0) cl.data_dir = data_dir;
  if (listen_opt->count() > 0) cl.listen = listen;
  return true;
}

node_config read_settings(const env_reader& env, const command_line& cl) {
  node_config cfg;

  // Dev mode first: it relaxes the secret requirement and pins the host.
  env.flag("FF_DEV_MODE", cfg.dev_mode);
  if (cl.dev) cfg.dev_mode = true;

  // rest-api.md §4, in table order.
  std::optional<std::string> secret = env.get("FF_WAITPOINT_HMAC_SECRET");
  if (secret) {
    const char* name = "FF_WAITPOINT_HMAC_SECRET";
    // The value is never echoed: it is a secret.
    if (secret->empty()) reject(name, "must not be empty (64 hex characters recommended)");
    if (!std::all_of(secret->begin(), secret->end(), is_hex))
      reject(name, "must contain only hex digits 0-9a-fA-F");
    if (secret->size() % 2 != 0) reject(name, "must have an even number of hex digits");
    if (secret->size() < 64)
      env.warn("FF_WAITPOINT_HMAC_SECRET is shorter than the recommended 64 hex characters");
    cfg.waitpoint_hmac_secret = *secret;
  } else if (!cfg.dev_mode) {
    reject("FF_WAITPOINT_HMAC_SECRET",
           "required outside dev mode (generate one with `openssl rand -hex 32`, or run "
           "with --dev)");
  }
  env.number("FF_WAITPOINT_HMAC_GRACE_MS", cfg.waitpoint_hmac_grace_ms, 0);

  if (auto v = env.get("FF_LISTEN_ADDR")) {
    auto addr = parse_listen_address("FF_LISTEN_ADDR", *v);
    cfg.listen_host = addr.host;
    cfg.listen_port = addr.port;
  }
  if (cl.listen) {
    auto addr = parse_listen_address("--listen", *cl.listen);
    cfg.listen_host = addr.host;
    cfg.listen_port = addr.port;
  }
  if (auto v = env.get("FF_API_TOKEN")) cfg.api_token = *v; // empty = auth off

  if (auto v = env.get("FF_CORS_ORIGINS")) {
    auto entries = split_list(*v);
    if (entries.empty()) reject("FF_CORS_ORIGINS", "set but empty (unset it to allow any origin)");
    std::vector<std::string> kept;
    for (auto& e : entries) {
      if (is_header_value(e))
        kept.push_back(std::move(e));
      else
        env.warn("FF_CORS_ORIGINS: dropping entry " + shown(e) +
                 " (not a valid HTTP header value)");
    }
    if (kept.empty())
      reject("FF_CORS_ORIGINS", "no entry is a valid HTTP header value");
    cfg.cors_origins = std::move(kept);
  }

  if (auto v = env.get("FF_LANES")) {
    auto lanes = split_list(*v);
    if (lanes.empty()) reject("FF_LANES", "at least one lane is required");
    std::vector<std::string> unique;
    for (auto& lane : lanes) {
      if (auto why = lane_id_problem(lane); !why.empty()) reject("FF_LANES", why);
      if (std::find(unique.begin(), unique.end(), lane) == unique.end())
        unique.push_back(std::move(lane));
    }
    cfg.lanes = std::move(unique);
  }

  env.number("FF_FLOW_PARTITIONS", cfg.flow_partitions, 1);
  env.number("FF_BUDGET_PARTITIONS", cfg.budget_partitions, 1);
  env.number("FF_QUOTA_PARTITIONS", cfg.quota_partitions, 1);

  if (env.get("FF_MAX_CONCURRENT_STREAM_OPS")) {
    env.number("FF_MAX_CONCURRENT_STREAM_OPS", cfg.max_concurrent_stream_ops, 1);
    if (env.get("FF_MAX_CONCURRENT_TAIL"))
      env.warn("FF_MAX_CONCURRENT_TAIL is ignored because FF_MAX_CONCURRENT_STREAM_OPS is set");
  } else {
    env.number("FF_MAX_CONCURRENT_TAIL", cfg.max_concurrent_stream_ops, 1);
  }

  if (auto v = env.get("FF_BACKEND")) {
    auto b = lower(*v);
    if (b.empty() || b == "valkey")
      cfg.backend = backend_kind::valkey;
    else if (b == "postgres")
      cfg.backend = backend_kind::postgres;
    else if (b == "sqlite")
      cfg.backend = backend_kind::sqlite;
    else
      reject("FF_BACKEND", "expected valkey, postgres or sqlite, got " + shown(*v));
  }
  env.non_empty_text("FF_HOST", cfg.valkey_host);
  env.number("FF_PORT", cfg.valkey_port, 1);
  env.flag("FF_TLS", cfg.valkey_tls);
  env.flag("FF_CLUSTER", cfg.valkey_cluster);
  if (auto v = env.get("FF_POSTGRES_URL")) cfg.postgres_url = *v;
  env.number("FF_POSTGRES_POOL_SIZE", cfg.postgres_pool_size, 1);
  // SQLite is accepted as a name for compatibility; its settings are
  // validated so a bad value is caught early, but no field carries them.
  std::uint32_t sqlite_pool_size = 4;
  env.number("FF_SQLITE_POOL_SIZE", sqlite_pool_size, 1);
  if (cfg.backend == backend_kind::postgres && cfg.postgres_url.empty())
    reject("FF_POSTGRES_URL", "required when FF_BACKEND=postgres");
  if (cfg.backend == backend_kind::sqlite && !cfg.dev_mode)
    reject("FF_BACKEND", "sqlite is allowed only in dev mode (FF_DEV_MODE=1 or --dev)");

  for (const auto& d : scanner_interval_defaults) {
    bool seconds = in_seconds(d.name);
    std::uint64_t value = d.value;
    env.number(d.name, value, 0);
    if (seconds && value > std::numeric_limits<std::uint64_t>::max() / 1000)
      reject(d.name, "interval too large");
    cfg.scanner_intervals_ms[d.name] = seconds ? value * 1000 : value;
  }

  if (env.get("FF_SENTRY_DSN"))
    env.warn("FF_SENTRY_DSN is ignored: this node has no Sentry reporting");
  env.flag("FF_FORCE_LUA_RELOAD", cfg.force_lua_reload);

  // This project's own settings.
  env.flag("FF_ALLOW_UNAUTHENTICATED", cfg.allow_unauthenticated);
  env.number("FF_HTTP_THREADS", cfg.http_threads, 1,
             std::numeric_limits<std::uint32_t>::max());
  env.number("FF_BACKEND_POOL_SIZE", cfg.backend_pool_size, 1);
  env.number("FF_PARTITION_QUEUE_BOUND", cfg.partition_queue_bound, 1);
  env.number("FF_REQUEST_TIMEOUT_MS", cfg.request_timeout_ms, 1);
  env.number("FF_STORE_COMMAND_TIMEOUT_MS", cfg.store_command_timeout_ms, 1);
  env.number("FF_MAX_LANES", cfg.max_lanes, 1);
  env.number("FF_LANE_IDLE_TIMEOUT_MS", cfg.lane_idle_timeout_ms, 1);
  if (cfg.max_lanes < cfg.lanes.size())
    reject("FF_MAX_LANES", "must be at least the number of lanes in FF_LANES (" +
                               std::to_string(cfg.lanes.size()) + ")");
  env.number("FF_MAX_CONNECTIONS", cfg.max_connections, 1);
  if (cfg.max_connections == 0)
    cfg.max_connections = default_max_connections(descriptor_limit(), cfg.backend_pool_size,
                                                  cfg.max_concurrent_stream_ops);
  env.number("FF_HTTP_IDLE_TIMEOUT_MS", cfg.http_idle_timeout_ms, 1);
  env.number("FF_HTTP_HEADER_TIMEOUT_MS", cfg.http_header_timeout_ms, 1);
  env.non_empty_text("FF_DATA_DIR", cfg.data_dir);
  if (cl.data_dir) {
    if (cl.data_dir->empty()) reject("--data-dir", "must not be empty");
    cfg.data_dir = *cl.data_dir;
  }
  env.non_empty_text("FF_REDIS_SERVER", cfg.redis_server_path);
  if (auto v = env.get("FF_LOG_LEVEL")) {
    auto level = lower(*v);
    if (std::find(std::begin(log_levels), std::end(log_levels), level) == std::end(log_levels))
      reject("FF_LOG_LEVEL", "expected trace, debug, info, warn or error, got " + shown(*v));
    cfg.log_level = level;
  }

  // decisions.md §4: dev mode never listens beyond this machine.
  if (cfg.dev_mode) {
    if (cfg.listen_host != "127.0.0.1" && (env.get("FF_LISTEN_ADDR") || cl.listen))
      env.warn("dev mode listens on 127.0.0.1 only; ignoring host " + shown(cfg.listen_host));
    cfg.listen_host = "127.0.0.1";
  }
  cfg.print_config = cl.print_config;
  return cfg;
}

std::optional<std::string> process_env(const char* name, void*) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  return std::string(v);
}

bool starts_with_ci(std::string_view s, std::size_t at, std::string_view word) {
  if (s.size() < at + word.size()) return false;
  return lower(s.substr(at, word.size())) == word;
}

// Hides `password=...` (libpq key/value form, or a URI query parameter).
std::string mask_password_parameters(std::string s) {
  const std::string_view key = "password";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!starts_with_ci(s, i, key)) continue;
    if (i > 0 && !(is_space(s[i - 1]) || s[i - 1] == '?' || s[i - 1] == '&')) continue;
    std::size_t j = i + key.size();
    while (j < s.size() && is_space(s[j])) ++j;
    if (j >= s.size() || s[j] != '=') continue;
    ++j;
    while (j < s.size() && is_space(s[j])) ++j;
    std::size_t end = j;
    if (end < s.size() && s[end] == '\'') {
      ++end;
      while (end < s.size() && s[end] != '\'') end += (s[end] == '\\') ? 2 : 1;
      end = std::min(end + 1, s.size());
    } else {
      while (end < s.size() && !is_space(s[end]) && s[end] != '&') ++end;
    }
    s.replace(j, end - j, "***");
    i = j + 2;
  }
  return s;
}

// postgres://user:secret@host/db -> postgres://user:***@host/db. The user
// info ends at the last '@', so an unencoded '@' in the password is still
// hidden (at worst more than the password is masked).
std::string mask_postgres_url(const std::string& url) {
  std::string s = url;
  auto scheme_end = s.find("://");
  if (scheme_end != std::string::npos) {
    auto user_start = scheme_end + 3;
    auto at = s.rfind('@');
    if (at != std::string::npos && at > user_start) {
      auto colon = s.find(':', user_start);
      if (colon != std::string::npos && colon < at) s.replace(colon + 1, at - colon - 1, "***");
    }
  }
  return mask_password_parameters(s);
}

bool is_loopback_host(const std::string& host) {
  if (lower(host) == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

const char* backend_name(backend_kind kind) {
  switch (kind) {
    case backend_kind::valkey: return "valkey";
    case backend_kind::postgres: return "postgres";
    case backend_kind::sqlite: return "sqlite";
  }
  return "valkey";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

} // namespace

config_parse_result parse_config(int argc, const char* const* argv, env_lookup env, void* ctx) {
  config_parse_result result;
  command_line cl;
  if (!parse_command_line(argc, argv, cl, result)) return result;
  try {
    result.config = read_settings(env_reader(env, ctx, result.warnings), cl);
  } catch (const invalid_setting& e) {
    result.error = one_line(e.line);
    result.config.reset();
  }
  return result;
}

config_parse_result parse_config_from_process(int argc, const char* const* argv) {
  return parse_config(argc, argv, &process_env, nullptr);
}

std::string describe_config(const node_config& cfg) {
  std::ostringstream out;
  auto line = [&](std::string_view name, const auto& value) {
    out << name << '=' << value << '\n';
  };
  auto set_or_unset = [](const std::string& s) { return s.empty() ? "<unset>" : "<set>"; };
  auto on_off = [](bool b) { return b ? "true" : "false"; };

  line("FF_LISTEN_ADDR", format_listen_address(cfg.listen_host, cfg.listen_port));
  line("FF_API_TOKEN", set_or_unset(cfg.api_token));
  line("FF_ALLOW_UNAUTHENTICATED", on_off(cfg.allow_unauthenticated));
  line("FF_CORS_ORIGINS", join(cfg.cors_origins));
  line("FF_HTTP_THREADS", cfg.http_threads);
  line("FF_MAX_CONNECTIONS", cfg.max_connections);
  line("FF_HTTP_IDLE_TIMEOUT_MS", cfg.http_idle_timeout_ms);
  line("FF_HTTP_HEADER_TIMEOUT_MS", cfg.http_header_timeout_ms);
  line("FF_LANES", join(cfg.lanes));
  line("FF_FLOW_PARTITIONS", cfg.flow_partitions);
  line("FF_BUDGET_PARTITIONS", cfg.budget_partitions);
  line("FF_QUOTA_PARTITIONS", cfg.quota_partitions);
  line("FF_MAX_CONCURRENT_STREAM_OPS", cfg.max_concurrent_stream_ops);
  line("FF_WAITPOINT_HMAC_SECRET", set_or_unset(cfg.waitpoint_hmac_secret));
  line("FF_WAITPOINT_HMAC_GRACE_MS", cfg.waitpoint_hmac_grace_ms);
  line("FF_BACKEND", backend_name(cfg.backend));
  line("FF_HOST", cfg.valkey_host);
  line("FF_PORT", cfg.valkey_port);
  line("FF_TLS", on_off(cfg.valkey_tls));
  line("FF_CLUSTER", on_off(cfg.valkey_cluster));
  line("FF_POSTGRES_URL", cfg.postgres_url.empty() ? "<unset>" : mask_postgres_url(cfg.postgres_url));
  line("FF_POSTGRES_POOL_SIZE", cfg.postgres_pool_size);
  line("FF_BACKEND_POOL_SIZE", cfg.backend_pool_size);
  line("FF_FORCE_LUA_RELOAD", on_off(cfg.force_lua_reload));
  line("FF_PARTITION_QUEUE_BOUND", cfg.partition_queue_bound);
  line("FF_REQUEST_TIMEOUT_MS", cfg.request_timeout_ms);
  line("FF_STORE_COMMAND_TIMEOUT_MS", cfg.store_command_timeout_ms);
  line("FF_MAX_LANES", cfg.max_lanes);
  line("FF_LANE_IDLE_TIMEOUT_MS", cfg.lane_idle_timeout_ms);
  for (const auto& [name, ms] : cfg.scanner_intervals_ms) {
    // Shown in the variable's own unit, so the line can be pasted back.
    if (in_seconds(name) && ms % 1000 == 0)
      line(name, ms / 1000);
    else if (in_seconds(name))
      line(name, std::to_string(ms) + "ms");
    else
      line(name, ms);
  }
  line("FF_DEV_MODE", cfg.dev_mode ? "1" : "0");
  line("FF_DATA_DIR", cfg.data_dir);
  line("FF_REDIS_SERVER", cfg.redis_server_path);
  line("FF_LOG_LEVEL", cfg.log_level);
  return out.str();
}

std::string check_security_defaults(const node_config& cfg) {
  if (!cfg.api_token.empty() || cfg.allow_unauthenticated || is_loopback_host(cfg.listen_host))
    return {};
  return "refusing to listen on " + format_listen_address(cfg.listen_host, cfg.listen_port) +
         " without authentication: set FF_API_TOKEN to require a bearer token, or "
         "FF_ALLOW_UNAUTHENTICATED=1 to serve every route to anyone who can reach it "
         "(or listen on 127.0.0.1)";
}

} // namespace ff
