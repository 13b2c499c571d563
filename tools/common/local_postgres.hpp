#pragma once
// A private PostgreSQL for tools and tests: initdb into a fresh temporary
// folder, a postmaster on a free loopback port (TCP only, trust
// authentication, user and database `postgres`), stopped and the folder
// removed on destruction. PostgreSQL refuses to run as root; under root the
// cluster belongs to the `postgres` account (else `nobody`), and the
// processes run as that account.

#include <chrono>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ff::local {

// The folder holding initdb and postgres: $FF_PG_BIN_DIR when set, else the
// newest /usr/lib/postgresql/<major>/bin that has both, else the folder of
// `initdb` on PATH. Throws when none is found.
std::string find_postgres_bin_dir();

class postgres_process {
public:
  struct options {
    std::string bin_dir;  // empty: find_postgres_bin_dir()
    // Extra server settings, each NAME=VALUE, passed as `-c NAME=VALUE`
    // after the defaults (later settings win).
    std::vector<std::string> settings;
    int cpu = -1;  // pin the postmaster (and so its backends) to this CPU
  };

  // initdb, start, wait until the server accepts connections; a few
  // ports are tried. Throws std::runtime_error with the end of the log.
  explicit postgres_process(options o);
  ~postgres_process();
  postgres_process(const postgres_process&) = delete;
  postgres_process& operator=(const postgres_process&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }  // the postmaster
  // postgres://postgres@127.0.0.1:<port>/postgres
  std::string url() const;
  std::string version() const { return version_; }  // `postgres --version`
  // Fast shutdown (SIGINT), then SIGKILL after `grace`.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  std::string log() const;

private:
  void start();

  options options_;
  std::string dir_;
  std::string version_;
  int uid_ = -1;
  int gid_ = -1;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

} // namespace ff::local
