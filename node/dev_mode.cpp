#include "node/dev_mode.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace ff {

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

constexpr auto ping_deadline = std::chrono::seconds(10);
// A large append-only file can take a while to replay; while the server
// answers -LOADING it is alive, so it gets this much longer.
constexpr auto loading_deadline = std::chrono::seconds(120);
constexpr auto stop_grace = std::chrono::seconds(10);

engine_error dev_error(std::string message) {
  engine_error e = engine_error::internal(message);
  e.message = std::move(message);
  return e;
}

std::string errno_text(int err) { return std::strerror(err); }

// Closes a descriptor when it goes out of scope.
struct fd_guard {
  int fd = -1;
  explicit fd_guard(int f) : fd(f) {}
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
};

// Asks the kernel for a free loopback port. Another process may take it
// before redis-server binds; start() then reports the failed start.
expected<std::uint16_t> free_loopback_port() {
  fd_guard sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sock.fd < 0) return dev_error("dev mode: socket(): " + errno_text(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return dev_error("dev mode: cannot bind a loopback port: " + errno_text(errno));
  socklen_t len = sizeof addr;
  if (::getsockname(sock.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return dev_error("dev mode: getsockname(): " + errno_text(errno));
  return static_cast<std::uint16_t>(ntohs(addr.sin_port));
}

// The path execvp would run, or empty when there is none.
std::string find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return ::access(name.c_str(), X_OK) == 0 ? name : std::string();
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    auto candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return {};
}

// The last lines of redis.log, joined on one line, to explain a failed start.
std::string log_tail(const std::string& path, std::size_t max_lines = 3) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  std::string out;
  auto first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  for (auto i = first; i < lines.size(); ++i) {
    if (!out.empty()) out += " | ";
    out += lines[i];
  }
  return out;
}

enum class ping_result { pong, loading, no_answer };

ping_result ping(std::uint16_t port) {
  fd_guard sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sock.fd < 0) return ping_result::no_answer;
  timeval tv{};
  tv.tv_usec = 500'000;
  ::setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(sock.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return ping_result::no_answer;
  static constexpr char request[] = "*1\r\n$4\r\nPING\r\n";
  if (::send(sock.fd, request, sizeof request - 1, MSG_NOSIGNAL) !=
      static_cast<ssize_t>(sizeof request - 1))
    return ping_result::no_answer;
  std::string reply;
  char buf[256];
  while (reply.find("\r\n") == std::string::npos && reply.size() < 4096) {
    auto n = ::recv(sock.fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  if (reply.rfind("+PONG", 0) == 0) return ping_result::pong;
  if (reply.rfind("-LOADING", 0) == 0) return ping_result::loading;
  return ping_result::no_answer;
}

// Waits for the child to exit for at most `bound`; true when it did.
bool wait_exit(int pid, std::chrono::milliseconds bound, int* status = nullptr) {
  auto deadline = clock_type::now() + bound;
  while (true) {
    int st = 0;
    auto r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      if (status) *status = st;
      return true;
    }
    if (clock_type::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void terminate_child(int pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  if (wait_exit(pid, grace)) return;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

std::string exit_text(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped";
}

bool is_hex_secret(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
      return false;
  return true;
}

expected<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return dev_error("dev mode: cannot read " + path + ": " + errno_text(errno));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r' ||
                              content.back() == ' ' || content.back() == '\t'))
    content.pop_back();
  if (!is_hex_secret(content))
    return dev_error("dev mode: " + path +
                     " is corrupt (expected 64 hex characters); delete it to generate a new "
                     "secret (tokens signed with the old one stop verifying)");
  return content;
}

} // namespace

expected<std::unique_ptr<dev_redis>> dev_redis::start(const node_config& cfg) {
  std::error_code ec;
  // Absolute, because redis-server changes into --dir before it opens
  // --logfile, and the default data folder is relative.
  const fs::path data_dir = fs::absolute(cfg.data_dir, ec);
  if (ec) return dev_error("dev mode: cannot resolve " + cfg.data_dir + ": " + ec.message());
  const std::string redis_dir = (data_dir / "redis").lexically_normal().string();
  const std::string log_path = (fs::path(redis_dir) / "redis.log").string();
  fs::create_directories(redis_dir, ec);
  if (ec) return dev_error("dev mode: cannot create " + redis_dir + ": " + ec.message());

  const std::string binary = find_executable(cfg.redis_server_path);
  if (binary.empty())
    return dev_error("dev mode: redis-server not found as " + cfg.redis_server_path +
                     " (install redis-server 7 or set FF_REDIS_SERVER to its path)");

  // Two nodes on one data folder would run two servers over one
  // append-only file. The lock is inherited by the child and held for as
  // long as redis-server runs, however the node ends.
  const std::string lock_path = (fs::path(redis_dir) / "lock").string();
  fd_guard lock(::open(lock_path.c_str(), O_RDWR | O_CREAT, 0600));
  if (lock.fd < 0) return dev_error("dev mode: cannot open " + lock_path + ": " + errno_text(errno));
  if (::flock(lock.fd, LOCK_EX | LOCK_NB) != 0)
    return dev_error("dev mode: data folder " + cfg.data_dir +
                     " is in use by another dev node (" + lock_path + " is locked)");

  auto port = free_loopback_port();
  if (!port) return port.error();

  std::vector<std::string> args{binary,
                                "--port", std::to_string(*port),
                                "--bind", "127.0.0.1",
                                "--dir", redis_dir,
                                "--appendonly", "yes",
                                "--appendfsync", "everysec",
                                "--daemonize", "no",
                                "--logfile", log_path,
                                "--save", ""};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // exec failure is reported through a close-on-exec pipe: EOF means exec
  // succeeded, an int means it failed with that errno.
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0)
    return dev_error("dev mode: pipe(): " + errno_text(errno));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(exec_pipe[0]);
    ::close(exec_pipe[1]);
    return dev_error("dev mode: fork(): " + errno_text(err));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::close(exec_pipe[0]);
    // Die with the node. The signal is tied to the forking thread, which is
    // why the node starts this from its main thread.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    // Own process group: a Ctrl-C in the terminal reaches only the node,
    // which then stops redis after draining.
    ::setpgid(0, 0);
    // The node blocks SIGINT/SIGTERM for its signal thread; the mask would
    // survive exec and make redis deaf to SIGTERM.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull > 0) {
      ::dup2(devnull, 0);
      ::close(devnull);
    }
    // Startup complaints (bad option, port taken) land in the same log.
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (log > 2) {
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::close(log);
    }
    ::execv(argv[0], argv.data());
    int err = errno;
    ssize_t ignored = ::write(exec_pipe[1], &err, sizeof err);
    (void)ignored;
    ::_exit(127);
  }
  ::close(exec_pipe[1]);
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    ::waitpid(pid, nullptr, 0);
    return dev_error("dev mode: cannot execute " + binary + ": " + errno_text(exec_errno));
  }

  std::unique_ptr<dev_redis> server(new dev_redis(pid, *port));
  const auto started = clock_type::now();
  while (true) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      auto tail = log_tail(log_path);
      return dev_error("dev mode: redis-server " + exit_text(status) + " during start" +
                       (tail.empty() ? std::string() : ": " + tail) + " (log: " + log_path + ")");
    }
    auto answer = ping(*port);
    if (answer == ping_result::pong) return server;
    auto waited = clock_type::now() - started;
    if (waited > loading_deadline || (answer != ping_result::loading && waited > ping_deadline)) {
      server->stop();
      return dev_error("dev mode: redis-server on 127.0.0.1:" + std::to_string(*port) +
                       " did not answer PING in time (log: " + log_path + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

dev_redis::~dev_redis() { stop(); }

void dev_redis::stop() {
  terminate_child(pid_, stop_grace);
  pid_ = -1;
}

expected<std::string> load_or_create_dev_secret(const std::string& data_dir) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return dev_error("dev mode: cannot create " + data_dir + ": " + ec.message());
  const std::string path = (fs::path(data_dir) / "waitpoint_hmac_secret").string();
  if (fs::exists(path, ec)) return read_secret_file(path);

  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    return dev_error("dev mode: OpenSSL RAND_bytes failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string secret;
  for (unsigned char b : bytes) {
    secret += hex[b >> 4];
    secret += hex[b & 0xf];
  }

  // Written to a private temporary file and linked into place, so a crash
  // never leaves half a secret and two nodes starting at once agree on one.
  std::string tmp_pattern = path + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp_pattern.data());
  if (fd < 0) return dev_error("dev mode: cannot create a file in " + data_dir + ": " + errno_text(errno));
  const std::string contents = secret + "\n";
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp_pattern.c_str());
    return dev_error("dev mode: cannot write " + path + ": " + errno_text(err));
  }
  int linked = ::link(tmp_pattern.c_str(), path.c_str());
  err = errno;
  ::unlink(tmp_pattern.c_str());
  if (linked != 0) {
    if (err == EEXIST) return read_secret_file(path);
    return dev_error("dev mode: cannot create " + path + ": " + errno_text(err));
  }
  return secret;
}

} // namespace ff
