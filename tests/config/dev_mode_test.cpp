#include "node/dev_mode.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include <doctest/doctest.h>

#include <cstdlib>
#include <stdexcept>

namespace {

namespace fs = std::filesystem;

struct fd_guard {
  int fd;
  explicit fd_guard(int f) : fd(f) {}
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
};

// The test command installs redis-server; its absence is a broken setup.
void require_redis_server() {
  REQUIRE_MESSAGE(std::system("command -v redis-server >/dev/null 2>&1") == 0,
                  "redis-server is not on PATH");
}

struct temp_dir {
  std::string path;
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/ff-config-test-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

bool is_lower_hex(const std::string& s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// One RESP command over a fresh connection; returns the raw reply.
std::string redis_command(std::uint16_t port, const std::vector<std::string>& args) {
  fd_guard sock(::socket(AF_INET, SOCK_STREAM, 0));
  timeval tv{};
  tv.tv_sec = 2;
  ::setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  std::string req = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) req += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  if (::send(sock.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
    return {};
  char buf[512];
  auto n = ::recv(sock.fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

} // namespace

TEST_CASE("the dev secret is created once, private, and reused") {
  temp_dir dir;
  const std::string data_dir = dir.path + "/nested/data";
  auto first = ff::load_or_create_dev_secret(data_dir);
  REQUIRE(first.has_value());
  CHECK(first->size() == 64);
  CHECK(is_lower_hex(*first));

  const std::string file = data_dir + "/waitpoint_hmac_secret";
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto second = ff::load_or_create_dev_secret(data_dir);
  REQUIRE(second.has_value());
  CHECK(*second == *first);

  // No temporary files are left behind.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(data_dir)) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);

  temp_dir other;
  auto different = ff::load_or_create_dev_secret(other.path);
  REQUIRE(different.has_value());
  CHECK(*different != *first);
}

TEST_CASE("a corrupt dev secret is an error naming the file") {
  temp_dir dir;
  const std::string file = dir.path + "/waitpoint_hmac_secret";
  for (const char* bad : {"", "abc\n", "not hex at all, but sixty-four characters long, exactly so ok!"}) {
    CAPTURE(bad);
    std::ofstream(file, std::ios::trunc) << bad;
    auto r = ff::load_or_create_dev_secret(dir.path);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().text().find(file) != std::string::npos);
    CHECK(r.error().text().find("corrupt") != std::string::npos);
  }
  // A hand-written secret with a trailing newline is fine.
  const std::string own(64, 'b');
  std::ofstream(file, std::ios::trunc) << own << "\n";
  auto ok = ff::load_or_create_dev_secret(dir.path);
  REQUIRE(ok.has_value());
  CHECK(*ok == own);
}

TEST_CASE("dev redis: a missing or failing binary is a clear error") {
  temp_dir dir;
  ff::node_config cfg;
  cfg.data_dir = dir.path;

  cfg.redis_server_path = dir.path + "/no-such-redis-server";
  auto missing = ff::dev_redis::start(cfg);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().text().find("not found") != std::string::npos);
  CHECK(missing.error().text().find("FF_REDIS_SERVER") != std::string::npos);

  cfg.redis_server_path = "no-such-redis-server-on-path";
  CHECK_FALSE(ff::dev_redis::start(cfg).has_value());

  if (::access("/bin/false", X_OK) == 0) {
    cfg.redis_server_path = "/bin/false";
    auto exits = ff::dev_redis::start(cfg);
    REQUIRE_FALSE(exits.has_value());
    CHECK(exits.error().text().find("exited with code 1") != std::string::npos);
  }
}

TEST_CASE("dev redis: starts, answers, persists across restarts, and stops") {
  require_redis_server();
  temp_dir dir;
  ff::node_config cfg;
  cfg.data_dir = dir.path + "/data";

  std::uint16_t port = 0;
  {
    auto started = ff::dev_redis::start(cfg);
    REQUIRE_MESSAGE(started.has_value(), (started ? "" : started.error().text()));
    auto& server = *started;
    port = server->port();
    CHECK(port > 0);
    CHECK(redis_command(port, {"PING"}) == "+PONG\r\n");
    CHECK(redis_command(port, {"CONFIG", "GET", "appendonly"}).find("yes") != std::string::npos);
    CHECK(redis_command(port, {"SET", "dev-key", "kept"}) == "+OK\r\n");
    CHECK(fs::exists(cfg.data_dir + "/redis/redis.log"));

    // A second node on the same data folder is refused while this one runs.
    auto second = ff::dev_redis::start(cfg);
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().text().find("in use") != std::string::npos);

    server->stop();
    CHECK(redis_command(port, {"PING"}).empty());
    server->stop(); // idempotent
  }

  auto again = ff::dev_redis::start(cfg);
  REQUIRE_MESSAGE(again.has_value(), (again ? "" : again.error().text()));
  CHECK(redis_command((*again)->port(), {"GET", "dev-key"}) == "$4\r\nkept\r\n");
  auto last_port = (*again)->port();
  again->reset(); // the destructor stops the child too
  CHECK(redis_command(last_port, {"PING"}).empty());
}

TEST_CASE("dev redis: a relative data folder works (the default is ./ff-data)") {
  require_redis_server();
  temp_dir dir;
  const auto previous = fs::current_path();
  fs::current_path(dir.path);
  ff::node_config cfg;
  cfg.data_dir = "./ff-data";
  auto started = ff::dev_redis::start(cfg);
  fs::current_path(previous);
  REQUIRE_MESSAGE(started.has_value(), (started ? "" : started.error().text()));
  CHECK(redis_command((*started)->port(), {"PING"}) == "+PONG\r\n");
  CHECK(fs::exists(dir.path + "/ff-data/redis/redis.log"));
}
