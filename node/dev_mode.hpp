#pragma once
// `ff-node --dev`: a private redis-server child with AOF persistence in the
// data folder, and a waitpoint HMAC secret generated there on first start.

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "core/expected.hpp"

namespace ff {

class dev_redis {
public:
  // Starts `cfg.redis_server_path` bound to 127.0.0.1 on a free port with
  // its files under `<data_dir>/redis`, and waits until it answers PING.
  static expected<std::unique_ptr<dev_redis>> start(const node_config& cfg);
  ~dev_redis(); // stops the child (SIGTERM, then SIGKILL after a bound)

  std::uint16_t port() const { return port_; }
  void stop();

private:
  dev_redis(int pid, std::uint16_t port) : pid_(pid), port_(port) {}
  int pid_ = -1;
  std::uint16_t port_ = 0;
};

// Reads `<data_dir>/waitpoint_hmac_secret` (64 hex chars), creating it with
// a random secret (mode 0600) on first start.
expected<std::string> load_or_create_dev_secret(const std::string& data_dir);

} // namespace ff
