#include "tools/common/local_postgres.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tools/common/local_services.hpp"

namespace ff::local {

namespace fs = std::filesystem;

namespace {

std::string read_tail(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

bool runnable(const fs::path& dir) {
  return access((dir / "initdb").c_str(), X_OK) == 0 &&
         access((dir / "postgres").c_str(), X_OK) == 0;
}

// Waits for a child to exit; its exit status, or -1 after `limit` (the
// child is then killed).
int wait_exit(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::vector<std::string> pg_env() {
  auto env = basic_env();
  env.push_back("LC_ALL=C");
  env.push_back("TZ=UTC");
  return env;
}

} // namespace

std::string find_postgres_bin_dir() {
  if (const char* configured = std::getenv("FF_PG_BIN_DIR"); configured && *configured) {
    if (!runnable(configured))
      throw std::runtime_error(std::string("FF_PG_BIN_DIR=") + configured +
                               " holds no initdb and postgres");
    return configured;
  }
  std::vector<std::pair<int, fs::path>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (runnable(e.path() / "bin")) found.emplace_back(std::stoi(name), e.path() / "bin");
  }
  if (!found.empty()) return std::max_element(found.begin(), found.end())->second.string();
  try {
    auto initdb = fs::path(find_on_path("initdb")).parent_path();
    if (runnable(initdb)) return initdb.string();
  } catch (const std::exception&) {
  }
  throw std::runtime_error(
      "no PostgreSQL server binaries (initdb, postgres) under /usr/lib/postgresql/*/bin or on "
      "PATH; install postgresql (Debian) or set FF_PG_BIN_DIR");
}

postgres_process::postgres_process(options o) : options_(std::move(o)) {
  if (options_.bin_dir.empty()) options_.bin_dir = find_postgres_bin_dir();
  dir_ = make_temp_dir("ff-postgres-");
  try {
    if (geteuid() == 0) {
      const passwd* pw = getpwnam("postgres");
      if (!pw) pw = getpwnam("nobody");
      if (!pw) throw std::runtime_error("running as root and no postgres or nobody account");
      uid_ = static_cast<int>(pw->pw_uid);
      gid_ = static_cast<int>(pw->pw_gid);
      if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        throw std::runtime_error("chown " + dir_ + ": " + std::strerror(errno));
    }
    // initdb, into dir/data. --no-sync: a benchmark cluster is thrown away.
    const std::string initdb_log = dir_ + "/initdb.log";
    pid_t init = start_child({{options_.bin_dir + "/initdb", "-D", dir_ + "/data", "-U", "postgres",
                               "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                              pg_env(), dir_, initdb_log, -1, uid_, gid_});
    if (int rc = wait_exit(init, std::chrono::seconds(120)); rc != 0)
      throw std::runtime_error("initdb failed (status " + std::to_string(rc) + "):\n" +
                               read_tail(initdb_log, 4000));
    for (int attempt = 1;; ++attempt) {
      port_ = free_loopback_port();
      try {
        start();
        break;
      } catch (const std::exception&) {
        if (attempt == 3) throw;
      }
    }
    // For the reports.
    const std::string version_log = dir_ + "/version.txt";
    pid_t v = start_child({{options_.bin_dir + "/postgres", "--version"}, pg_env(), dir_,
                           version_log, -1, uid_, gid_});
    if (wait_exit(v, std::chrono::seconds(10)) == 0) {
      version_ = read_tail(version_log, 200);
      while (!version_.empty() && (version_.back() == '\n' || version_.back() == '\r'))
        version_.pop_back();
    }
  } catch (...) {
    stop(std::chrono::seconds(5));
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    throw;
  }
}

postgres_process::~postgres_process() {
  stop();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::string postgres_process::url() const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

std::string postgres_process::log() const {
  return read_tail(dir_ + "/postgres.log", std::string::npos);
}

void postgres_process::start() {
  const std::string log_path = dir_ + "/postgres.log";
  const std::size_t log_offset =
      fs::exists(log_path) ? static_cast<std::size_t>(fs::file_size(log_path)) : 0;
  // A benchmark server, like the spawned redis-server (no snapshots, no
  // AOF): no fsync, asynchronous commit, no full-page writes. TCP on
  // loopback only, no Unix socket.
  std::vector<std::string> args{options_.bin_dir + "/postgres",
                                "-D", dir_ + "/data",
                                "-p", std::to_string(port_),
                                "-c", "listen_addresses=127.0.0.1",
                                "-c", "unix_socket_directories=",
                                "-c", "fsync=off",
                                "-c", "synchronous_commit=off",
                                "-c", "full_page_writes=off"};
  for (const auto& s : options_.settings) {
    args.push_back("-c");
    args.push_back(s);
  }
  pid_ = start_child({args, pg_env(), dir_, log_path, options_.cpu, uid_, gid_});
  const auto limit = std::chrono::seconds(30);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (child_exited(pid_)) {
      pid_ = -1;
      throw std::runtime_error("postgres exited at start on port " + std::to_string(port_) +
                               "; log:\n" + read_tail(log_path, 4000));
    }
    auto log = read_tail(log_path, std::string::npos);
    if (log.size() > log_offset &&
        log.find("database system is ready to accept connections", log_offset) != std::string::npos)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop(std::chrono::seconds(2));
  throw std::runtime_error("postgres was not ready within " + std::to_string(limit.count()) +
                           " s on port " + std::to_string(port_) + "; log:\n" +
                           read_tail(log_path, 4000));
}

void postgres_process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  // SIGINT is the fast shutdown: clients are disconnected, no waiting.
  kill(pid_, SIGINT);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!child_exited(pid_)) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

} // namespace ff::local
