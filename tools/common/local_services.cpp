#include "tools/common/local_services.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ff::local {

namespace {

const char* const loopback = "127.0.0.1";

std::string read_tail(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

} // namespace

std::uint16_t free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
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

std::string make_temp_dir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr)
    throw std::runtime_error("mkdtemp " + templ + ": " + std::strerror(errno));
  return buf.data();
}

std::string find_on_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw std::runtime_error(name + " not found on PATH");
}

std::vector<std::string> basic_env() {
  std::vector<std::string> env;
  for (const char* keep : {"PATH", "HOME", "TMPDIR"})
    if (const char* v = std::getenv(keep)) env.push_back(std::string(keep) + "=" + v);
  return env;
}

pid_t start_child(const child_spec& spec) {
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls until exec.
  std::vector<std::string> args = spec.args, env = spec.env;
  std::vector<char*> argv, envp;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  cpu_set_t set;
  CPU_ZERO(&set);
  if (spec.cpu >= 0) CPU_SET(spec.cpu, &set);

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Credentials first: changing them clears the parent-death signal.
    if (spec.gid >= 0 && (setgroups(0, nullptr) != 0 || setgid(static_cast<gid_t>(spec.gid)) != 0))
      _exit(125);
    if (spec.uid >= 0 && setuid(static_cast<uid_t>(spec.uid)) != 0) _exit(125);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) _exit(126);
    if (spec.cpu >= 0) sched_setaffinity(0, sizeof set, &set);
    int out = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
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
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

bool child_exited(pid_t pid) {
  pid_t r = waitpid(pid, nullptr, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

void stop_child(pid_t& pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!child_exited(pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid = -1;
}

redis_process::redis_process(options o) : options_(std::move(o)) {
  for (int attempt = 1;; ++attempt) {
    port_ = free_loopback_port();
    try {
      start();
      return;
    } catch (const std::exception&) {
      if (attempt == 3) throw;
    }
  }
}

redis_process::~redis_process() { stop(); }

void redis_process::start() {
  if (running()) return;
  std::vector<std::string> args{options_.binary, "--port",  std::to_string(port_), "--bind",
                                loopback,        "--dir",   options_.dir,          "--save",
                                "",              "--daemonize", "no"};
  args.insert(args.end(), options_.args.begin(), options_.args.end());
  pid_ = start_child({args, basic_env(), options_.dir, options_.dir + "/redis.log", options_.cpu});
  // PONG, not LOADING while an AOF replays.
  const auto limit = std::chrono::seconds(10);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (child_exited(pid_)) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start on port " + std::to_string(port_) +
                               "; log:\n" + read_tail(options_.dir + "/redis.log", 4000));
    }
    if (answers_ping()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop(std::chrono::seconds(2));
  throw std::runtime_error("redis-server did not answer PING within " +
                           std::to_string(limit.count()) + " s on port " + std::to_string(port_) +
                           "; log:\n" + read_tail(options_.dir + "/redis.log", 4000));
}

void redis_process::stop(std::chrono::milliseconds grace) { stop_child(pid_, grace); }

void redis_process::kill_now() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void redis_process::signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

std::string redis_process::log() const {
  return read_tail(options_.dir + "/redis.log", std::string::npos);
}

// One RESP exchange on a fresh socket, so no client library is needed.
bool redis_process::answers_ping() const {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval tv{0, 200 * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  inet_pton(AF_INET, loopback, &addr.sin_addr);
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

} // namespace ff::local
