#include <doctest/doctest.h>

#include <algorithm>

#include "http/auth.hpp"
#include "http/cors.hpp"

using namespace ff;

namespace {

const std::string* find(const cors_policy::header_list& h, const std::string& name) {
  for (const auto& [k, v] : h)
    if (k == name) return &v;
  return nullptr;
}

} // namespace

TEST_CASE("constant_time_equal") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("secret", "secret"));
  CHECK_FALSE(constant_time_equal("secret", "secreT"));
  CHECK_FALSE(constant_time_equal("secret", "secret2"));
  CHECK_FALSE(constant_time_equal("Secret", "secret"));
  CHECK_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST_CASE("bearer_token_ok") {
  std::string good = "Bearer tok-123", lower = "bearer tok-123", two = "Bearer  tok-123",
              other = "Bearer tok-124", bare = "tok-123", basic = "Basic tok-123";
  CHECK(bearer_token_ok(&good, "tok-123"));
  CHECK_FALSE(bearer_token_ok(nullptr, "tok-123"));
  CHECK_FALSE(bearer_token_ok(&lower, "tok-123")); // prefix is case-sensitive
  CHECK_FALSE(bearer_token_ok(&two, "tok-123"));
  CHECK_FALSE(bearer_token_ok(&other, "tok-123"));
  CHECK_FALSE(bearer_token_ok(&bare, "tok-123"));
  CHECK_FALSE(bearer_token_ok(&basic, "tok-123"));
  CHECK(bearer_token_ok(nullptr, "")); // auth off
}

TEST_CASE("auth exemption is exact") {
  CHECK(auth_exempt_path("/healthz"));
  CHECK(auth_exempt_path("/metrics"));
  CHECK_FALSE(auth_exempt_path("/healthz/"));
  CHECK_FALSE(auth_exempt_path("/Healthz"));
  CHECK_FALSE(auth_exempt_path("/v1/executions"));
}

TEST_CASE("CORS permissive") {
  auto p = cors_policy::create({"https://a.example", "*"}, true);
  REQUIRE(p);
  CHECK(p->permissive());
  cors_policy::header_list h;
  p->response_headers(nullptr, h);
  CHECK(*find(h, "Access-Control-Allow-Origin") == "*");
  CHECK(*find(h, "Access-Control-Expose-Headers") == "*");

  cors_policy::header_list pre;
  std::string origin = "https://x.example", method = "PUT", headers = "authorization,x-foo";
  p->preflight_headers(&origin, &method, &headers, pre);
  CHECK(*find(pre, "Access-Control-Allow-Origin") == "*");
  CHECK(*find(pre, "Access-Control-Allow-Methods") == "PUT");
  CHECK(*find(pre, "Access-Control-Allow-Headers") == "authorization,x-foo");
  CHECK(*find(pre, "Vary") ==
        "origin, access-control-request-method, access-control-request-headers");
  CHECK_FALSE(find(pre, "Access-Control-Allow-Credentials"));
}

TEST_CASE("CORS allow-list") {
  auto p = cors_policy::create({"https://a.example", "bad\r\nvalue", "https://b.example"}, false);
  REQUIRE(p);
  CHECK_FALSE(p->permissive());
  CHECK(p->origins() == std::vector<std::string>{"https://a.example", "https://b.example"});

  std::string a = "https://a.example", c = "https://c.example", m = "POST";
  cors_policy::header_list h;
  p->response_headers(&a, h);
  CHECK(*find(h, "Access-Control-Allow-Origin") == "https://a.example");
  CHECK_FALSE(find(h, "Access-Control-Expose-Headers"));

  cors_policy::header_list miss;
  p->response_headers(&c, miss);
  CHECK_FALSE(find(miss, "Access-Control-Allow-Origin"));

  cors_policy::header_list pre;
  p->preflight_headers(&a, &m, nullptr, pre);
  CHECK(*find(pre, "Access-Control-Allow-Origin") == "https://a.example");
  CHECK(*find(pre, "Access-Control-Allow-Methods") == "GET, POST, PUT");
  CHECK(*find(pre, "Access-Control-Allow-Headers") == "content-type");
  CHECK(find(pre, "Vary"));
  CHECK_FALSE(find(pre, "Access-Control-Max-Age"));

  auto with_auth = cors_policy::create({"https://a.example"}, true);
  cors_policy::header_list pre2;
  with_auth->preflight_headers(&a, &m, nullptr, pre2);
  CHECK(*find(pre2, "Access-Control-Allow-Headers") == "content-type, authorization");
}

TEST_CASE("CORS: all entries invalid refuses to start") {
  CHECK_FALSE(cors_policy::create({"bad\nvalue"}, false));
  CHECK(cors_policy::create({}, false)->permissive());
  CHECK(cors_policy::is_preflight("OPTIONS", true));
  CHECK_FALSE(cors_policy::is_preflight("OPTIONS", false));
  CHECK_FALSE(cors_policy::is_preflight("GET", true));
}
