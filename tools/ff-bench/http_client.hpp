#pragma once
// An asynchronous keep-alive HTTP/1.1 connection on a shared io_context.
// All connections of a run live on the one load-generator thread, so none
// of this is thread-safe and none of it needs to be. One request at a time
// per connection (no pipelining); a connection the server closed is
// reopened by the next request.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace ffbench {

using steady = std::chrono::steady_clock;

// Where requests go: a loopback endpoint plus the optional bearer token.
struct http_target {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string host_header;
  std::string token;
};

// Resolves HOST:PORT (or [v6]:PORT); throws unless every address it
// resolves to is loopback.
boost::asio::ip::tcp::endpoint resolve_loopback(const std::string& host_port,
                                                const std::string& default_port);

// Parses `http://HOST:PORT` and resolves it; throws unless every address
// it resolves to is loopback (ff-bench sends traffic to loopback only).
http_target parse_http_target(const std::string& url, const std::string& token);

struct http_reply {
  boost::system::error_code ec;  // transport failure or timeout
  unsigned status = 0;
  std::string body;
  steady::time_point sent;  // just before the request's first byte was written
  steady::time_point done;  // when the whole response was read
};

class http_connection : public std::enable_shared_from_this<http_connection> {
public:
  using callback = std::function<void(http_reply&)>;

  http_connection(boost::asio::io_context& io, const http_target& target);

  // Sends one request. `on_written` (optional) runs once the request is
  // fully written; `done` runs with the reply or the error. A failure on a
  // reused connection before any response byte is retried once on a fresh
  // connection (the server may have closed an idle keep-alive socket).
  void send(boost::beast::http::verb method, std::string target, std::string body,
            std::chrono::milliseconds timeout, callback done,
            std::function<void()> on_written = {});

  void close();
  bool busy() const { return busy_; }

private:
  void start_attempt();
  void write_request();
  void finish(boost::system::error_code ec);

  const http_target& target_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::string_body> req_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
  std::chrono::milliseconds timeout_{0};
  callback done_;
  std::function<void()> on_written_;
  http_reply reply_;
  bool connected_ = false;
  bool reused_ = false;
  bool retried_ = false;
  bool closing_ = false;
  bool busy_ = false;
};

// Percent-encodes everything outside the unreserved set (ids in paths
// carry braces and a colon).
std::string url_encode(const std::string& s);

// One synchronous GET with a short timeout (health checks before a run);
// returns the status, 0 when the request failed.
unsigned sync_get_status(const http_target& target, const std::string& path,
                         std::chrono::milliseconds timeout);

} // namespace ffbench
