#include "tests/support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <stdexcept>

namespace ff::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct http_client::impl {
  std::string host;
  std::uint16_t port;
  asio::io_context io;
  std::unique_ptr<tcp::socket> socket;
  beast::flat_buffer buffer;

  void connect() {
    socket = std::make_unique<tcp::socket>(io);
    tcp::resolver resolver(io);
    asio::connect(*socket, resolver.resolve(host, std::to_string(port)));
    buffer.clear();
  }

  http_response read_response() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(*socket, buffer, parser);
    auto& res = parser.get();
    http_response out;
    out.status = res.result_int();
    out.body = res.body();
    for (auto& field : res) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(field.value());
    }
    if (!res.keep_alive()) socket.reset();
    return out;
  }
};

http_client::http_client(std::string host, std::uint16_t port) : impl_(std::make_unique<impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
}

http_client::~http_client() = default;

http_response http_client::request(const std::string& method, const std::string& target,
                                   const std::string& body,
                                   const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, impl_->host);
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    req.set(name, value);
    std::string lower = name;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    has_content_type = has_content_type || lower == "content-type";
  }
  if (!body.empty() && !has_content_type)
    req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  // A kept-alive connection may have been closed by the server meanwhile:
  // retry once on a fresh connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      if (!impl_->socket) impl_->connect();
      http::write(*impl_->socket, req);
      if (method == "HEAD") {
        http::response_parser<http::empty_body> parser;
        parser.skip(true);
        http::read(*impl_->socket, impl_->buffer, parser);
        http_response out;
        out.status = parser.get().result_int();
        for (auto& field : parser.get()) {
          std::string name(field.name_string());
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          out.headers[name] = std::string(field.value());
        }
        return out;
      }
      return impl_->read_response();
    } catch (const std::exception&) {
      impl_->socket.reset();
      if (attempt == 1) throw;
    }
  }
  throw std::runtime_error("unreachable");
}

http_response http_client::raw(const std::string& bytes) {
  impl_->connect();
  asio::write(*impl_->socket, asio::buffer(bytes));
  auto out = impl_->read_response();
  impl_->socket.reset();
  return out;
}

std::string url_encode(const std::string& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
    }
  }
  return out;
}

} // namespace ff::test
