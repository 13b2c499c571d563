#pragma once
// --spawn: a private redis-server and ff-node on free loopback ports, in a
// temporary folder, stopped and removed when the object goes away. The
// children die with ff-bench (PR_SET_PDEATHSIG) if it is killed.

#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>

#include "options.hpp"
#include "tools/common/local_services.hpp"

namespace ffbench {

class spawned_stack {
public:
  explicit spawned_stack(const bench_options& o);
  ~spawned_stack();
  spawned_stack(const spawned_stack&) = delete;
  spawned_stack& operator=(const spawned_stack&) = delete;

  std::uint16_t redis_port() const { return redis_->port(); }
  std::uint16_t node_port() const { return node_port_; }
  pid_t redis_pid() const { return redis_ ? redis_->pid() : -1; }
  pid_t node_pid() const { return node_pid_; }
  void stop();

private:
  void start_redis(const bench_options& o);
  void start_node(const bench_options& o);
  std::string tail(const std::string& file) const;

  std::string dir_;
  std::unique_ptr<ff::local::redis_process> redis_;
  pid_t node_pid_ = -1;
  std::uint16_t node_port_ = 0;
};

// ff-node next to this executable (all binaries land in one bin folder).
std::string default_node_binary();

} // namespace ffbench
