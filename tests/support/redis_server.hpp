#pragma once
// A private redis-server for backend tests: a free loopback port, a fresh
// temporary folder, AOF persistence on, stopped and removed on destruction.
// Each instance is independent, so several test executables may run at once.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ff::local {
class redis_process;
}

namespace ff::test {

class redis_server {
public:
  // Finds the binary ($FF_REDIS_SERVER, else redis-server on PATH), starts
  // it and waits until it answers PING. Throws std::runtime_error (with the
  // server's log) when it cannot.
  redis_server();
  // With extra redis-server arguments after the defaults (later ones win),
  // e.g. {"--appendfsync", "always"}.
  explicit redis_server(std::vector<std::string> extra_args);
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  const std::string& host() const { return host_; }
  std::uint16_t port() const;
  const std::string& dir() const { return dir_; }
  bool running() const;

  // SIGTERM (the server flushes its AOF), then SIGKILL after `grace`.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Starts again on the same port and folder (data survives through AOF).
  void start();
  void restart();
  // SIGKILL, as a crash: what the AOF has not written is lost.
  void kill_now();
  // SIGSTOP / SIGCONT and the like, to the running server.
  void signal(int sig);

  // The server's log file, for failure messages.
  std::string log() const;

  // Sends one command on a fresh connection and returns the first line of
  // the reply (`+OK`, `-ERR …`, `:1`); for settings and faults a test
  // injects (CONFIG SET, CLIENT PAUSE), not for reading data.
  std::string command(const std::vector<std::string>& args) const;

private:
  std::string host_ = "127.0.0.1";
  std::string dir_;
  std::unique_ptr<local::redis_process> process_;
};

} // namespace ff::test
