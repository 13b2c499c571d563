// FF_MAX_CONNECTIONS and the HTTP timeouts.

#include <doctest/doctest.h>

#include "tests/config/fake_env.hpp"

using ff::test::valid_env;

TEST_CASE("the default connection limit leaves a reserve of descriptors, at least 16") {
  CHECK(ff::default_max_connections(1024, 2, 64) == 1024 - (64 + 2 + 64));
  CHECK(ff::default_max_connections(65536, 4, 64) == 65536 - (64 + 4 + 64));
  CHECK(ff::default_max_connections(256, 2, 64) == 126);
  CHECK(ff::default_max_connections(100, 2, 64) == 16);
  CHECK(ff::default_max_connections(0, 2, 64) == 16);
  CHECK(ff::default_max_connections(std::uint64_t{1} << 40, 2, 64) == 0xffffffffu);
}

TEST_CASE("connection settings: defaults, values and invalid values") {
  auto defaults = valid_env().config();
  CHECK(defaults.max_connections ==
        ff::default_max_connections(ff::descriptor_limit(), defaults.backend_pool_size,
                                    defaults.max_concurrent_stream_ops));
  CHECK(defaults.http_idle_timeout_ms == 60000);
  CHECK(defaults.http_header_timeout_ms == 10000);

  auto derived = valid_env({{"FF_BACKEND_POOL_SIZE", "3"}, {"FF_MAX_CONCURRENT_STREAM_OPS", "5"}})
                     .config();
  CHECK(derived.max_connections == ff::default_max_connections(ff::descriptor_limit(), 3, 5));

  auto set = valid_env({{"FF_MAX_CONNECTIONS", "7"},
                        {"FF_HTTP_IDLE_TIMEOUT_MS", "1500"},
                        {"FF_HTTP_HEADER_TIMEOUT_MS", "250"}})
                 .config();
  CHECK(set.max_connections == 7);
  CHECK(set.http_idle_timeout_ms == 1500);
  CHECK(set.http_header_timeout_ms == 250);

  for (const char* var : {"FF_MAX_CONNECTIONS", "FF_HTTP_IDLE_TIMEOUT_MS",
                          "FF_HTTP_HEADER_TIMEOUT_MS"}) {
    for (const char* value : {"0", "-1", "abc", "4294967296"}) {
      CAPTURE(var);
      CAPTURE(value);
      auto r = valid_env({{var, value}}).parse();
      CHECK_FALSE(r.config);
      CHECK(r.error.rfind(std::string("invalid value for ") + var + ": ", 0) == 0);
    }
  }
}
