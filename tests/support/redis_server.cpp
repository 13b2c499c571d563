#include "tests/support/redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "tools/common/local_services.hpp"

namespace ff::test {

namespace {

std::string find_redis_server() {
  if (const char* configured = std::getenv("FF_REDIS_SERVER"); configured && *configured) {
    if (access(configured, X_OK) != 0)
      throw std::runtime_error(std::string("FF_REDIS_SERVER is not executable: ") + configured);
    return configured;
  }
  try {
    return local::find_on_path("redis-server");
  } catch (const std::exception&) {
    throw std::runtime_error("redis-server not found on PATH (set FF_REDIS_SERVER)");
  }
}

} // namespace

redis_server::redis_server() : redis_server(std::vector<std::string>{}) {}

redis_server::redis_server(std::vector<std::string> extra_args) {
  const std::string binary = find_redis_server();
  dir_ = local::make_temp_dir("ff-redis-");
  std::vector<std::string> args{"--appendonly", "yes"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  try {
    process_ = std::make_unique<local::redis_process>(
        local::redis_process::options{binary, dir_, std::move(args), -1});
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

redis_server::~redis_server() {
  process_.reset();  // stops the server before its folder goes
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::uint16_t redis_server::port() const { return process_->port(); }
bool redis_server::running() const { return process_->running(); }
void redis_server::stop(std::chrono::milliseconds grace) { process_->stop(grace); }
void redis_server::start() { process_->start(); }

void redis_server::kill_now() { process_->kill_now(); }
void redis_server::signal(int sig) { process_->signal(sig); }

void redis_server::restart() {
  stop();
  start();
}

std::string redis_server::log() const { return process_->log(); }

std::string redis_server::command(const std::vector<std::string>& args) const {
  std::string request = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) request += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port());
  inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char c = 0;
    while (recv(fd, &c, 1, 0) == 1 && c != '\n')
      if (c != '\r') reply.push_back(c);
  }
  close(fd);
  if (reply.empty()) throw std::runtime_error("no reply from redis-server to " + args.front());
  return reply;
}

} // namespace ff::test
