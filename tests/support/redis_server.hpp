#pragma once
// A private redis-server for backend tests: a free loopback port, a fresh
// temporary folder, AOF persistence on, stopped and removed on destruction.
// Each instance is independent, so several test executables may run at once.

#include <chrono>
#include <cstdint>
#include <string>
#include <sys/types.h>

namespace ff::test {

class redis_server {
public:
  // Finds the binary ($FF_REDIS_SERVER, else redis-server on PATH), starts
  // it and waits until it answers PING. Throws std::runtime_error (with the
  // server's log) when it cannot.
  redis_server();
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_; }
  bool running() const { return pid_ > 0; }

  // SIGTERM (the server flushes its AOF), then SIGKILL after `grace`.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Starts again on the same port and folder (data survives through AOF).
  void start();
  void restart();

  // The server's log file, for failure messages.
  std::string log() const;

private:
  void spawn();
  bool answers_ping() const;

  std::string binary_;
  std::string host_ = "127.0.0.1";
  std::uint16_t port_ = 0;
  std::string dir_;
  pid_t pid_ = -1;
};

} // namespace ff::test
