#include <doctest/doctest.h>

#include <sstream>

#include "tests/config/fake_env.hpp"

using ff::test::fake_env;
using ff::test::test_secret;
using ff::test::valid_env;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text))
    if (l == line) return true;
  return false;
}

} // namespace

TEST_CASE("describe_config prints one setting per line with secrets masked") {
  auto cfg = valid_env({{"FF_API_TOKEN", "super-token"},
                        {"FF_POSTGRES_URL", "postgres://ff:hunter2@db:5432/ff?sslmode=require"}})
               .config();
  auto text = ff::describe_config(cfg);
  CHECK(text.find("super-token") == std::string::npos);
  CHECK(text.find(test_secret) == std::string::npos);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(has_line(text, "FF_API_TOKEN=<set>"));
  CHECK(has_line(text, "FF_WAITPOINT_HMAC_SECRET=<set>"));
  CHECK(has_line(text, "FF_POSTGRES_URL=postgres://ff:***@db:5432/ff?sslmode=require"));
  CHECK(has_line(text, "FF_LISTEN_ADDR=0.0.0.0:9090"));
  CHECK(has_line(text, "FF_LANES=default"));
  CHECK(has_line(text, "FF_FLOW_PARTITIONS=256"));
  CHECK(has_line(text, "FF_INDEX_RECONCILER_INTERVAL_S=45"));
  CHECK(has_line(text, "FF_LEASE_EXPIRY_INTERVAL_MS=1500"));
  CHECK(has_line(text, "FF_HTTP_THREADS=2"));
  CHECK(has_line(text, "FF_DEV_MODE=0"));
  CHECK(has_line(text, "FF_LOG_LEVEL=info"));
  for (const auto& line : lines_of(text)) {
    CAPTURE(line);
    CHECK(line.rfind("FF_", 0) == 0);
    CHECK(line.find('=') != std::string::npos);
  }
  // Every scanner interval has its line.
  for (const auto& [name, ms] : cfg.scanner_intervals_ms) {
    CAPTURE(name);
    CHECK(text.find("\n" + name + "=") != std::string::npos);
  }
}

TEST_CASE("describe_config says <unset> for absent secrets and brackets IPv6") {
  auto cfg = fake_env{{{"FF_DEV_MODE", "1"}}}.config();
  auto text = ff::describe_config(cfg);
  CHECK(has_line(text, "FF_API_TOKEN=<unset>"));
  CHECK(has_line(text, "FF_WAITPOINT_HMAC_SECRET=<unset>"));
  CHECK(has_line(text, "FF_POSTGRES_URL=<unset>"));
  CHECK(has_line(text, "FF_LISTEN_ADDR=127.0.0.1:9090"));
  CHECK(has_line(text, "FF_DEV_MODE=1"));
  auto v6 = valid_env({{"FF_LISTEN_ADDR", "[::1]:80"}}).config();
  CHECK(has_line(ff::describe_config(v6), "FF_LISTEN_ADDR=[::1]:80"));
}

TEST_CASE("passwords inside every form of FF_POSTGRES_URL are masked") {
  struct form {
    const char* url;
    const char* shown;
  };
  const form forms[] = {
    {"postgres://ff:pw@db/ff", "postgres://ff:***@db/ff"},
    {"postgresql://ff:p@ss/w0rd@db/ff", "postgresql://ff:***@db/ff"},
    {"postgres://ff@db/ff", "postgres://ff@db/ff"},
    {"postgres://db/ff?user=ff&password=pw&sslmode=disable",
     "postgres://db/ff?user=ff&password=***&sslmode=disable"},
    {"host=db user=ff password=pw dbname=ff", "host=db user=ff password=*** dbname=ff"},
    {"host=db password = 'p w\\' x' dbname=ff", "host=db password = *** dbname=ff"},
  };
  for (const auto& f : forms) {
    CAPTURE(f.url);
    ff::node_config cfg;
    cfg.postgres_url = f.url;
    CHECK(has_line(ff::describe_config(cfg), std::string("FF_POSTGRES_URL=") + f.shown));
  }
}

TEST_CASE("security check: a non-loopback listener needs a token or an explicit opt-out") {
  auto why = ff::check_security_defaults(valid_env().config());
  CHECK(why.find("0.0.0.0:9090") != std::string::npos);
  CHECK(why.find("FF_API_TOKEN") != std::string::npos);
  CHECK(why.find("FF_ALLOW_UNAUTHENTICATED=1") != std::string::npos);
  CHECK(why.find('\n') == std::string::npos);

  CHECK(ff::check_security_defaults(valid_env({{"FF_API_TOKEN", "t"}}).config()).empty());
  CHECK(ff::check_security_defaults(valid_env({{"FF_ALLOW_UNAUTHENTICATED", "1"}}).config())
          .empty());
  CHECK_FALSE(ff::check_security_defaults(valid_env({{"FF_API_TOKEN", ""}}).config()).empty());
  CHECK_FALSE(
    ff::check_security_defaults(valid_env({{"FF_ALLOW_UNAUTHENTICATED", "0"}}).config()).empty());

  for (const char* loopback : {"127.0.0.1:1", "127.8.9.10:1", "[::1]:1", "localhost:1",
                               "LocalHost:1", "[::ffff:127.0.0.1]:1"}) {
    CAPTURE(loopback);
    CHECK(ff::check_security_defaults(valid_env({{"FF_LISTEN_ADDR", loopback}}).config()).empty());
  }
  for (const char* open : {"0.0.0.0:1", "[::]:1", "10.0.0.1:1", "128.0.0.1:1", "example.com:1",
                           "localhost.example.com:1", "[::2]:1"}) {
    CAPTURE(open);
    CHECK_FALSE(
      ff::check_security_defaults(valid_env({{"FF_LISTEN_ADDR", open}}).config()).empty());
  }
  // Dev mode binds loopback, so it passes without a token.
  CHECK(ff::check_security_defaults(fake_env{{{"FF_DEV_MODE", "1"}}}.config()).empty());
}
