#include "http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/version.hpp>

#include <stdexcept>

namespace ffbench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// host[:port] or [v6]:port.
std::pair<std::string, std::string> split_host_port(const std::string& hp,
                                                    const std::string& default_port) {
  if (!hp.empty() && hp.front() == '[') {
    auto close = hp.find(']');
    if (close == std::string::npos) throw std::invalid_argument("bad address: " + hp);
    std::string host = hp.substr(1, close - 1);
    std::string rest = hp.substr(close + 1);
    if (rest.empty()) return {host, default_port};
    if (rest.front() != ':') throw std::invalid_argument("bad address: " + hp);
    return {host, rest.substr(1)};
  }
  auto colon = hp.rfind(':');
  if (colon == std::string::npos) return {hp, default_port};
  return {hp.substr(0, colon), hp.substr(colon + 1)};
}

} // namespace

tcp::endpoint resolve_loopback(const std::string& host_port, const std::string& default_port) {
  auto [host, port] = split_host_port(host_port, default_port);
  if (host.empty() || port.empty()) throw std::invalid_argument("bad address: " + host_port);
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, port, ec);
  if (ec || results.empty())
    throw std::invalid_argument("cannot resolve " + host_port + ": " + ec.message());
  for (const auto& r : results)
    if (!r.endpoint().address().is_loopback())
      throw std::invalid_argument(host_port + " is not a loopback address (ff-bench only "
                                  "sends traffic to loopback)");
  return results.begin()->endpoint();
}

http_target parse_http_target(const std::string& url, const std::string& token) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0)
    throw std::invalid_argument("--target must start with http:// (got " + url + ")");
  std::string rest = url.substr(scheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  http_target t;
  t.endpoint = resolve_loopback(rest, "80");
  t.host_header = rest;
  t.token = token;
  return t;
}

http_connection::http_connection(asio::io_context& io, const http_target& target)
    : target_(target), stream_(io) {}

void http_connection::send(http::verb method, std::string target, std::string body,
                           std::chrono::milliseconds timeout, callback done,
                           std::function<void()> on_written) {
  busy_ = true;
  retried_ = false;
  closing_ = false;
  req_ = {};
  req_.method(method);
  req_.target(target);
  req_.version(11);
  req_.set(http::field::host, target_.host_header);
  req_.set(http::field::user_agent, "ff-bench");
  req_.keep_alive(true);
  if (!target_.token.empty()) req_.set(http::field::authorization, "Bearer " + target_.token);
  if (method == http::verb::post || !body.empty())
    req_.set(http::field::content_type, "application/json");
  req_.body() = std::move(body);
  req_.prepare_payload();
  timeout_ = timeout;
  done_ = std::move(done);
  on_written_ = std::move(on_written);
  start_attempt();
}

void http_connection::start_attempt() {
  reply_ = {};
  if (connected_) {
    reused_ = true;
    write_request();
    return;
  }
  reused_ = false;
  stream_.expires_after(timeout_);
  stream_.async_connect(target_.endpoint,
                        [self = shared_from_this()](const boost::system::error_code& ec) {
                          if (ec) return self->finish(ec);
                          boost::system::error_code ignored;
                          self->stream_.socket().set_option(tcp::no_delay(true), ignored);
                          self->connected_ = true;
                          self->write_request();
                        });
}

void http_connection::write_request() {
  buffer_.clear();
  parser_.emplace();
  parser_->body_limit(64 * 1024 * 1024);
  stream_.expires_after(timeout_);
  reply_.sent = steady::now();
  http::async_write(stream_, req_,
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      if (ec) return self->finish(ec);
                      if (self->on_written_) {
                        auto hook = std::move(self->on_written_);
                        self->on_written_ = nullptr;
                        hook();
                      }
                      http::async_read(self->stream_, self->buffer_, *self->parser_,
                                       [self](const boost::system::error_code& ec2, std::size_t) {
                                         self->finish(ec2);
                                       });
                    });
}

void http_connection::finish(boost::system::error_code ec) {
  reply_.done = steady::now();
  if (ec) {
    bool no_response_yet = !parser_ || !parser_->is_header_done();
    boost::system::error_code ignored;
    stream_.socket().close(ignored);
    connected_ = false;
    // A reused keep-alive socket the server already closed fails like
    // this; one fresh attempt is safe because nothing was answered.
    if (reused_ && !retried_ && !closing_ && no_response_yet && ec != beast::error::timeout &&
        ec != asio::error::operation_aborted) {
      retried_ = true;
      start_attempt();
      return;
    }
    reply_.ec = ec;
  } else {
    auto& res = parser_->get();
    reply_.status = res.result_int();
    reply_.body = std::move(res.body());
    if (!res.keep_alive()) {
      boost::system::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.socket().close(ignored);
      connected_ = false;
    }
  }
  stream_.expires_never();
  on_written_ = nullptr;
  busy_ = false;
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(reply_);
}

void http_connection::close() {
  closing_ = true;
  boost::system::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
  connected_ = false;
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

unsigned sync_get_status(const http_target& target, const std::string& path,
                         std::chrono::milliseconds timeout) {
  asio::io_context io;
  auto conn = std::make_shared<http_connection>(io, target);
  unsigned status = 0;
  conn->send(http::verb::get, path, {}, timeout, [&](http_reply& r) {
    if (!r.ec) status = r.status;
  });
  io.run();
  return status;
}

} // namespace ffbench
