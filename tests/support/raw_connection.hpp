#pragma once
// One plain TCP connection driven byte by byte, for tests of what the
// server does with connections rather than requests: idle, slow or
// malformed clients, connection floods. Reads give up after a receive
// timeout so a server that never answers fails the test instead of
// hanging it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tests/support/http_client.hpp"

namespace ff::test {

class raw_connection {
public:
  // Connects to 127.0.0.1:port; throws std::runtime_error when it cannot.
  explicit raw_connection(std::uint16_t port,
                          std::chrono::milliseconds read_timeout = std::chrono::seconds(10));
  ~raw_connection();
  raw_connection(raw_connection&& other) noexcept;
  raw_connection& operator=(raw_connection&&) = delete;
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  // False when the peer has closed or reset the connection.
  bool send(std::string_view bytes);
  // One response (status line, headers, Content-Length body); nullopt when
  // the connection closed or the read timed out before a whole one came.
  std::optional<http_response> read_response();
  // Reads and drops whatever arrives until the peer closes (true) or the
  // read times out (false).
  bool wait_closed();
  // Whether a close (or reset) by the peer is already visible, without
  // waiting; bytes that arrived are kept for read_response.
  bool peer_closed();
  void close();

private:
  // Appends what one recv returns to pending_; 0 on close/reset, -1 on timeout.
  long fill();

  int fd_ = -1;
  std::string pending_;
};

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF). Written apart from the server's own checks.
bool valid_utf8(std::string_view s);

} // namespace ff::test
