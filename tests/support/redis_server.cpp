#include "tests/support/redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ff::test {

namespace {

namespace fs = std::filesystem;

std::string find_redis_server() {
  if (const char* configured = std::getenv("FF_REDIS_SERVER"); configured && *configured) {
    if (access(configured, X_OK) != 0)
      throw std::runtime_error(std::string("FF_REDIS_SERVER is not executable: ") + configured);
    return configured;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty())
      continue;
    std::string candidate = dir + "/redis-server";
    if (access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  throw std::runtime_error("redis-server not found on PATH (set FF_REDIS_SERVER)");
}

// Binds port 0 on loopback and reads back the port the kernel chose.
std::uint16_t pick_free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    throw std::runtime_error(std::string("bind loopback port 0: ") + std::strerror(err));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/ff-redis-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr)
    throw std::runtime_error("mkdtemp " + templ + ": " + std::strerror(errno));
  return buf.data();
}

// Waits for the child; true when it exited within `timeout`.
bool wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    pid_t r = waitpid(pid, nullptr, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD))
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

} // namespace

redis_server::redis_server() : binary_(find_redis_server()), dir_(make_temp_dir()) {
  // Another process may grab the port between our probe and the server's
  // bind; try a few fresh ports before giving up.
  for (int attempt = 1;; ++attempt) {
    port_ = pick_free_loopback_port();
    try {
      start();
      return;
    } catch (const std::exception&) {
      if (attempt == 3) {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
        throw;
      }
    }
  }
}

redis_server::~redis_server() {
  stop();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

void redis_server::spawn() {
  const std::string port = std::to_string(port_);
  const std::string logfile = dir_ + "/redis.log";
  const std::string console = dir_ + "/console.log";
  std::vector<std::string> args = {binary_,     "--port",      port,      "--bind",
                                   host_,       "--dir",       dir_,      "--appendonly",
                                   "yes",       "--save",      "",        "--daemonize",
                                   "no",        "--logfile",   logfile};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. Die with the test
    // process so a crashed test leaves no server behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(127);
    int out = open(console.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) {
      dup2(out, STDOUT_FILENO);
      dup2(out, STDERR_FILENO);
      close(out);
    }
    int in = open("/dev/null", O_RDONLY);
    if (in >= 0) {
      dup2(in, STDIN_FILENO);
      close(in);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
}

void redis_server::start() {
  if (running())
    return;
  spawn();
  // Bounded wait until PING answers PONG (not LOADING while the AOF replays).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start on port " +
                               std::to_string(port_) + "; log:\n" + log());
    }
    if (answers_ping())
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop();
  throw std::runtime_error("redis-server did not answer PING within 5 s on port " +
                           std::to_string(port_) + "; log:\n" + log());
}

void redis_server::stop(std::chrono::milliseconds grace) {
  if (!running())
    return;
  kill(pid_, SIGTERM);
  if (!wait_exit(pid_, grace)) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

void redis_server::restart() {
  stop();
  start();
}

std::string redis_server::log() const {
  std::string out;
  for (const char* name : {"/console.log", "/redis.log"}) {
    std::ifstream in(dir_ + name);
    std::stringstream ss;
    ss << in.rdbuf();
    out += ss.str();
  }
  return out;
}

// One RESP exchange on a fresh socket, so the fixture needs no client library.
bool redis_server::answers_ping() const {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  timeval tv{0, 200 * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
  bool pong = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    static constexpr char ping[] = "*1\r\n$4\r\nPING\r\n";
    if (send(fd, ping, sizeof ping - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof ping - 1)) {
      char buf[64] = {};
      ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
      pong = n >= 5 && std::strncmp(buf, "+PONG", 5) == 0;
    }
  }
  close(fd);
  return pong;
}

} // namespace ff::test
