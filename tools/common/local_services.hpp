#pragma once
// Child processes on loopback for tools and tests: a free port, a fresh
// temporary folder, fork/exec with the child dying with its parent, and a
// private redis-server started and stopped on its own port.

#include <chrono>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ff::local {

// A loopback port that was free a moment ago.
std::uint16_t free_loopback_port();
// A new folder $TMPDIR/<prefix>XXXXXX (/tmp without TMPDIR).
std::string make_temp_dir(const std::string& prefix);
// `name` itself when it holds a '/', else the first executable on PATH.
std::string find_on_path(const std::string& name);
// PATH, HOME and TMPDIR of this process as NAME=value, for a child that
// should not see the rest of the environment.
std::vector<std::string> basic_env();

struct child_spec {
  std::vector<std::string> args;  // args[0] is the binary's path
  std::vector<std::string> env;   // the child's whole environment
  std::string cwd;                // empty: stay in this process' folder
  std::string log_path;           // stdout and stderr, appended
  int cpu = -1;                   // pin to this CPU, -1: no pinning
  // Run as this user and group (needs root), -1: as this process. For
  // servers that refuse to run as root, such as PostgreSQL.
  int uid = -1;
  int gid = -1;
};
// fork + exec; stdin is /dev/null and the child is killed when this
// process dies, so a crash leaves nothing behind.
pid_t start_child(const child_spec& spec);
// Reaps the child when it has exited.
bool child_exited(pid_t pid);
// SIGTERM, then SIGKILL after `grace`; sets pid to -1. No-op for pid <= 0.
void stop_child(pid_t& pid, std::chrono::milliseconds grace);

// A redis-server on a free loopback port, serving `dir` (which the caller
// owns), its output in dir/redis.log. Stopped on destruction.
class redis_process {
public:
  struct options {
    std::string binary;             // a path, see find_on_path
    std::string dir;
    std::vector<std::string> args;  // after the defaults; later arguments win
    int cpu = -1;
  };

  // Starts and waits until it answers PING; another process may take the
  // port between probe and bind, so a few ports are tried. Throws
  // std::runtime_error with the end of the server's log.
  explicit redis_process(options o);
  ~redis_process();
  redis_process(const redis_process&) = delete;
  redis_process& operator=(const redis_process&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // Starts again on the same port and folder.
  void start();
  // SIGTERM (the server flushes an AOF), then SIGKILL after `grace`.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // SIGKILL at once, as a crash would: nothing is flushed.
  void kill_now();
  // Sends `sig` (SIGSTOP, SIGCONT, ...) to the running server.
  void signal(int sig);
  std::string log() const;

private:
  bool answers_ping() const;

  options options_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

} // namespace ff::local
