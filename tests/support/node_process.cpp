#include "tests/support/node_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/http_client.hpp"

namespace ff::test {

namespace {

std::string temp_log_path() {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/ff-node-log-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  int fd = mkstemp(buf.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  return std::string(buf.data());
}

// fork/exec the node with a clean environment, stdout+stderr into log_path.
int spawn_node(const std::map<std::string, std::string>& env,
               const std::vector<std::string>& args, const std::string& log_path,
               std::uint64_t descriptor_limit = 0) {
  std::vector<std::string> env_strings;
  for (const char* keep : {"PATH", "HOME", "TMPDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS"}) {
    if (env.count(keep)) continue;
    if (const char* v = std::getenv(keep)) env_strings.push_back(std::string(keep) + "=" + v);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<std::string> argv_strings{FF_NODE_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());

  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    std::vector<char*> argv, envp;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    if (descriptor_limit > 0) {
      rlimit lim{descriptor_limit, descriptor_limit};
      if (setrlimit(RLIMIT_NOFILE, &lim) != 0) _exit(126);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Waits for the child with a deadline; returns the exit code, -1 on signal,
// or nullopt-like -2 when still running at the deadline.
int wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) return -2;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

} // namespace

process_result run_node_to_exit(std::map<std::string, std::string> env,
                                const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout) {
  if (!env.count("FF_LISTEN_ADDR"))
    env["FF_LISTEN_ADDR"] = "127.0.0.1:" + std::to_string(free_loopback_port());
  auto log_path = temp_log_path();
  pid_t pid = spawn_node(env, args, log_path);
  process_result result;
  result.exit_code = wait_for(pid, timeout);
  if (result.exit_code == -2) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    result.exit_code = -1;
  }
  result.output = read_file(log_path);
  unlink(log_path.c_str());
  return result;
}

node_process::node_process(std::map<std::string, std::string> env, std::vector<std::string> args,
                           std::uint64_t descriptor_limit) {
  if (!env.count("FF_LISTEN_ADDR")) {
    port_ = free_loopback_port();
    env["FF_LISTEN_ADDR"] = "127.0.0.1:" + std::to_string(port_);
  } else {
    auto addr = env["FF_LISTEN_ADDR"];
    port_ = static_cast<std::uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
  }
  log_path_ = temp_log_path();
  pid_ = spawn_node(env, args, log_path_, descriptor_limit);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("ff-node exited during start:\n" + log());
    }
    try {
      http_client client("127.0.0.1", port_);
      if (client.get("/healthz").status == 200) return;
    } catch (const std::exception&) {
      // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  throw std::runtime_error("ff-node did not become healthy:\n" + log());
}

node_process::~node_process() {
  if (pid_ > 0) stop();
  if (!log_path_.empty()) unlink(log_path_.c_str());
}

int node_process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int code = wait_for(pid_, grace);
  if (code == -2) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    code = -1;
  }
  pid_ = -1;
  return code;
}

void node_process::crash() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string node_process::log() const { return read_file(log_path_); }

} // namespace ff::test
