#pragma once
// Runs ff-node as a child process for end-to-end tests.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/common/local_services.hpp"

namespace ff::test {

using local::free_loopback_port;

struct process_result {
  int exit_code = -1;   // -1: killed or timed out
  std::string output;   // stdout and stderr together
};

// Runs the node to completion (for boot failures, --help, --print-config).
// FF_LISTEN_ADDR defaults to 127.0.0.1 on a free port.
process_result run_node_to_exit(std::map<std::string, std::string> env,
                                const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout = std::chrono::seconds(20));

class node_process {
public:
  // Starts ff-node with only `env` (plus PATH/HOME/TMPDIR) as its
  // environment. FF_LISTEN_ADDR defaults to 127.0.0.1 on a free port.
  // `descriptor_limit` > 0 sets the child's RLIMIT_NOFILE, soft and hard.
  // Waits until /healthz answers 200; throws if it exits or times out.
  explicit node_process(std::map<std::string, std::string> env,
                        std::vector<std::string> args = {},
                        std::uint64_t descriptor_limit = 0);
  ~node_process();
  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  std::uint16_t port() const { return port_; }
  // SIGTERM and wait; returns the exit code (-1 if it had to be killed).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(15));
  // SIGKILL and reap: the node dies mid-request, as in a machine failure.
  void crash();
  // Everything the node printed so far.
  std::string log() const;
  bool running() const { return pid_ > 0; }
  int pid() const { return pid_; }

private:
  int pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_path_;
};

} // namespace ff::test
