#include "tests/support/raw_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ff::test {

raw_connection::raw_connection(std::uint16_t port, std::chrono::milliseconds read_timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  timeval tv{};
  tv.tv_sec = static_cast<long>(read_timeout.count() / 1000);
  tv.tv_usec = static_cast<long>(read_timeout.count() % 1000 * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error(std::string("connect: ") + std::strerror(err));
  }
}

raw_connection::~raw_connection() { close(); }

raw_connection::raw_connection(raw_connection&& other) noexcept
    : fd_(other.fd_), pending_(std::move(other.pending_)) {
  other.fd_ = -1;
}

void raw_connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool raw_connection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

long raw_connection::fill() {
  char buf[4096];
  auto n = ::recv(fd_, buf, sizeof buf, 0);
  if (n > 0) {
    pending_.append(buf, static_cast<std::size_t>(n));
    return n;
  }
  if (n == 0 || errno == ECONNRESET) return 0;
  return -1;
}

std::optional<http_response> raw_connection::read_response() {
  std::size_t end = 0;
  while ((end = pending_.find("\r\n\r\n")) == std::string::npos)
    if (fill() <= 0) return std::nullopt;
  http_response res;
  std::string head = pending_.substr(0, end);
  auto sp = head.find(' ');
  if (sp == std::string::npos) return std::nullopt;
  res.status = static_cast<unsigned>(std::atoi(head.c_str() + sp + 1));
  std::size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    auto next = head.find("\r\n", pos + 2);
    auto line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      res.headers[name] = value;
    }
    pos = next;
  }
  std::size_t length = 0;
  if (auto it = res.headers.find("content-length"); it != res.headers.end())
    length = std::stoul(it->second);
  while (pending_.size() < end + 4 + length)
    if (fill() <= 0) return std::nullopt;
  res.body = pending_.substr(end + 4, length);
  pending_.erase(0, end + 4 + length);
  return res;
}

bool raw_connection::wait_closed() {
  while (true) {
    long n = fill();
    if (n == 0) return true;
    if (n < 0) return false;
    pending_.clear();
  }
}

bool raw_connection::peer_closed() {
  pollfd p{fd_, POLLIN, 0};
  while (::poll(&p, 1, 0) == 1) {
    if (p.revents & (POLLHUP | POLLERR)) return true;
    if (fill() == 0) return true;
  }
  return false;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t len;
    std::uint32_t cp;
    if (b < 0x80) { len = 1; cp = b; }
    else if ((b & 0xE0) == 0xC0) { len = 2; cp = b & 0x1F; }
    else if ((b & 0xF0) == 0xE0) { len = 3; cp = b & 0x0F; }
    else if ((b & 0xF8) == 0xF0) { len = 4; cp = b & 0x07; }
    else return false;
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3F);
    }
    static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

} // namespace ff::test
