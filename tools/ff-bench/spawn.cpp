#include "spawn.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "http_client.hpp"

namespace ffbench {

namespace fs = std::filesystem;

namespace {

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

std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/ff-bench-XXXXXX";
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

std::string random_hex(std::size_t bytes) {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    auto b = rd() & 0xff;
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

// fork + exec with cwd `dir`, output into `log`, optionally pinned to one
// CPU; the child is killed when ff-bench dies.
pid_t spawn_process(const std::vector<std::string>& args, const std::vector<std::string>& env,
                    const std::string& dir, const std::string& log, int cpu) {
  std::vector<std::string> a = args, e = env;
  std::vector<char*> argv, envp;
  for (auto& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : e) envp.push_back(s.data());
  envp.push_back(nullptr);
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu >= 0) CPU_SET(cpu, &set);

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (chdir(dir.c_str()) != 0) _exit(126);
    if (cpu >= 0) sched_setaffinity(0, sizeof set, &set);
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
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

bool exited(pid_t pid) {
  int status = 0;
  pid_t r = waitpid(pid, &status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

void stop_process(pid_t& pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (!exited(pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid = -1;
}

bool redis_answers(std::uint16_t port) {
  timeval tv{0, 200 * 1000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  bool ok = false;
  if (c && !c->err) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
  }
  if (c) redisFree(c);
  return ok;
}

} // namespace

std::string default_node_binary() {
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "ff-node";
  return (self.parent_path() / "ff-node").string();
}

spawned_stack::spawned_stack(const bench_options& o) : dir_(make_temp_dir()) {
  try {
    start_redis(o);
    start_node(o);
  } catch (...) {
    stop();
    throw;
  }
}

spawned_stack::~spawned_stack() { stop(); }

void spawned_stack::stop() {
  stop_process(node_pid_, std::chrono::seconds(15));
  stop_process(redis_pid_, std::chrono::seconds(5));
  if (!dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    dir_.clear();
  }
}

std::string spawned_stack::tail(const std::string& file) const {
  std::ifstream in(dir_ + "/" + file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  return s.size() > 4000 ? s.substr(s.size() - 4000) : s;
}

void spawned_stack::start_redis(const bench_options& o) {
  std::string binary = o.redis_server;
  if (binary.empty()) {
    const char* configured = std::getenv("FF_REDIS_SERVER");
    binary = configured && *configured ? configured : "redis-server";
  }
  binary = find_on_path(binary);
  // The port may be taken between the probe and redis' bind: a few tries.
  for (int attempt = 1;; ++attempt) {
    redis_port_ = free_loopback_port();
    // A benchmark store: no snapshots, no AOF, unless --redis-arg says so
    // (later arguments win in redis-server).
    std::vector<std::string> args{binary,   "--port",       std::to_string(redis_port_),
                                  "--bind", "127.0.0.1",    "--dir",
                                  dir_,     "--save",       "",
                                  "--appendonly", "no",     "--daemonize",
                                  "no"};
    args.insert(args.end(), o.redis_args.begin(), o.redis_args.end());
    std::vector<std::string> env;
    for (const char* keep : {"PATH", "HOME", "TMPDIR"})
      if (const char* v = std::getenv(keep)) env.push_back(std::string(keep) + "=" + v);
    redis_pid_ = spawn_process(args, env, dir_, dir_ + "/redis.log", o.pin_redis);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool up = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (exited(redis_pid_)) {
        redis_pid_ = -1;
        break;
      }
      if (redis_answers(redis_port_)) {
        up = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (up) return;
    stop_process(redis_pid_, std::chrono::seconds(2));
    if (attempt == 3) throw std::runtime_error("redis-server did not start:\n" + tail("redis.log"));
  }
}

void spawned_stack::start_node(const bench_options& o) {
  std::string binary = o.node_binary.empty() ? default_node_binary() : o.node_binary;
  if (access(binary.c_str(), X_OK) != 0)
    throw std::runtime_error("ff-node binary not found at " + binary + " (use --node-binary)");
  for (int attempt = 1;; ++attempt) {
    node_port_ = free_loopback_port();
    std::vector<std::string> env;
    for (const char* keep : {"PATH", "HOME", "TMPDIR"})
      if (const char* v = std::getenv(keep)) env.push_back(std::string(keep) + "=" + v);
    env.push_back("FF_HOST=127.0.0.1");
    env.push_back("FF_PORT=" + std::to_string(redis_port_));
    env.push_back("FF_WAITPOINT_HMAC_SECRET=" + random_hex(32));
    env.push_back("FF_LISTEN_ADDR=127.0.0.1:" + std::to_string(node_port_));
    env.push_back("FF_LANES=" + o.lane);
    env.push_back("FF_LOG_LEVEL=warn");
    // A --node-env entry replaces the default of the same name (with
    // duplicates, getenv would see whichever comes first).
    for (const auto& kv : o.node_env) {
      auto name = kv.substr(0, kv.find('=') + 1);
      for (auto it = env.begin(); it != env.end();)
        it = it->rfind(name, 0) == 0 ? env.erase(it) : it + 1;
    }
    env.insert(env.end(), o.node_env.begin(), o.node_env.end());
    node_pid_ = spawn_process({binary}, env, dir_, dir_ + "/node.log", o.pin_node);

    http_target t;
    t.endpoint = {boost::asio::ip::make_address("127.0.0.1"), node_port_};
    t.host_header = "127.0.0.1:" + std::to_string(node_port_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool up = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (exited(node_pid_)) {
        node_pid_ = -1;
        break;
      }
      if (sync_get_status(t, "/healthz", std::chrono::milliseconds(500)) == 200) {
        up = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (up) return;
    stop_process(node_pid_, std::chrono::seconds(5));
    // Retry only when the node lost its port to someone else.
    auto log = tail("node.log");
    if (attempt == 3 || log.find("ddress already in use") == std::string::npos)
      throw std::runtime_error("ff-node did not become healthy:\n" + log);
  }
}

} // namespace ffbench
