#pragma once
// A small synchronous HTTP/1.1 client for end-to-end tests: one keep-alive
// connection, reopened when the server closes it.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace ff::test {

struct http_response {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers; // lower-case names

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class http_client {
public:
  http_client(std::string host, std::uint16_t port);
  ~http_client();

  // Extra headers are sent as given; `Content-Type: application/json` is
  // added to requests with a body unless a content-type header is given.
  http_response request(const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::map<std::string, std::string>& headers = {});
  http_response get(const std::string& target,
                    const std::map<std::string, std::string>& headers = {}) {
    return request("GET", target, {}, headers);
  }
  http_response post(const std::string& target, const std::string& body,
                     const std::map<std::string, std::string>& headers = {}) {
    return request("POST", target, body, headers);
  }

  // Sends bytes as they are and reads one response (for malformed requests).
  http_response raw(const std::string& bytes);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Percent-encodes everything outside the unreserved set (for ids in paths).
std::string url_encode(const std::string& s);

} // namespace ff::test
