#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "tests/config/fake_env.hpp"

using ff::backend_kind;
using ff::test::fake_env;
using ff::test::test_secret;
using ff::test::valid_env;

TEST_CASE("defaults match rest-api.md section 4") {
  auto cfg = valid_env().config();
  CHECK(cfg.listen_host == "0.0.0.0");
  CHECK(cfg.listen_port == 9090);
  CHECK(cfg.api_token.empty());
  CHECK(cfg.cors_origins == std::vector<std::string>{"*"});
  CHECK(cfg.lanes == std::vector<std::string>{"default"});
  CHECK(cfg.flow_partitions == 256);
  CHECK(cfg.budget_partitions == 32);
  CHECK(cfg.quota_partitions == 32);
  CHECK(cfg.max_concurrent_stream_ops == 64);
  CHECK(cfg.waitpoint_hmac_secret == test_secret);
  CHECK(cfg.waitpoint_hmac_grace_ms == 86'400'000);
  CHECK(cfg.backend == backend_kind::valkey);
  CHECK(cfg.valkey_host == "localhost");
  CHECK(cfg.valkey_port == 6379);
  CHECK_FALSE(cfg.valkey_tls);
  CHECK_FALSE(cfg.valkey_cluster);
  CHECK(cfg.postgres_url.empty());
  CHECK(cfg.postgres_pool_size == 10);
  CHECK_FALSE(cfg.force_lua_reload);
  CHECK_FALSE(cfg.dev_mode);
  CHECK_FALSE(cfg.print_config);

  const std::map<std::string, std::uint64_t> intervals{
    {"FF_LEASE_EXPIRY_INTERVAL_MS", 1500},
    {"FF_DELAYED_PROMOTER_INTERVAL_MS", 750},
    {"FF_INDEX_RECONCILER_INTERVAL_S", 45000},
    {"FF_ATTEMPT_TIMEOUT_INTERVAL_S", 2000},
    {"FF_SUSPENSION_TIMEOUT_INTERVAL_S", 2000},
    {"FF_PENDING_WP_EXPIRY_INTERVAL_S", 5000},
    {"FF_RETENTION_TRIMMER_INTERVAL_S", 60000},
    {"FF_BUDGET_RESET_INTERVAL_S", 15000},
    {"FF_BUDGET_RECONCILER_INTERVAL_S", 30000},
    {"FF_QUOTA_RECONCILER_INTERVAL_S", 30000},
    {"FF_UNBLOCK_INTERVAL_S", 5000},
    {"FF_DEPENDENCY_RECONCILER_INTERVAL_S", 15000},
    {"FF_FLOW_PROJECTOR_INTERVAL_S", 15000},
    {"FF_EXECUTION_DEADLINE_INTERVAL_S", 5000},
    {"FF_CANCEL_RECONCILER_INTERVAL_S", 15000},
    {"FF_EDGE_CANCEL_DISPATCHER_INTERVAL_S", 1000},
    {"FF_EDGE_CANCEL_RECONCILER_INTERVAL_S", 10000},
  };
  CHECK(cfg.scanner_intervals_ms == intervals);
}

TEST_CASE("defaults of this project's own settings") {
  auto cfg = valid_env().config();
  CHECK_FALSE(cfg.allow_unauthenticated);
  CHECK(cfg.http_threads == 2);
  CHECK(cfg.backend_pool_size == ff::default_backend_pool_size());
  CHECK(cfg.backend_pool_size >= 2);
  CHECK(cfg.backend_pool_size <= 4);
  CHECK(cfg.partition_queue_bound == 1024);
  CHECK(cfg.request_timeout_ms == 30000);
  CHECK(cfg.data_dir == "./ff-data");
  CHECK(cfg.redis_server_path == "redis-server");
  CHECK(cfg.log_level == "info");
}

TEST_CASE("every variable is read into its field") {
  auto cfg = valid_env({
                         {"FF_WAITPOINT_HMAC_GRACE_MS", "0"},
                         {"FF_LISTEN_ADDR", "10.1.2.3:8080"},
                         {"FF_API_TOKEN", "tok"},
                         {"FF_FLOW_PARTITIONS", "65535"},
                         {"FF_BUDGET_PARTITIONS", "1"},
                         {"FF_QUOTA_PARTITIONS", "7"},
                         {"FF_MAX_CONCURRENT_STREAM_OPS", "4294967295"},
                         {"FF_BACKEND", "PostGres"},
                         {"FF_HOST", "valkey.internal"},
                         {"FF_PORT", "6380"},
                         {"FF_TLS", "TRUE"},
                         {"FF_CLUSTER", "1"},
                         {"FF_POSTGRES_URL", "postgres://u:p@db/ff"},
                         {"FF_POSTGRES_POOL_SIZE", "3"},
                         {"FF_LEASE_EXPIRY_INTERVAL_MS", "0"},
                         {"FF_INDEX_RECONCILER_INTERVAL_S", "18446744073709551"},
                         {"FF_FORCE_LUA_RELOAD", "true"},
                         {"FF_ALLOW_UNAUTHENTICATED", "1"},
                         {"FF_HTTP_THREADS", "8"},
                         {"FF_BACKEND_POOL_SIZE", "16"},
                         {"FF_PARTITION_QUEUE_BOUND", "5"},
                         {"FF_REQUEST_TIMEOUT_MS", "1"},
                         {"FF_DATA_DIR", "/var/lib/ff"},
                         {"FF_REDIS_SERVER", "/opt/redis/bin/redis-server"},
                         {"FF_LOG_LEVEL", "DEBUG"},
                       })
               .config();
  CHECK(cfg.waitpoint_hmac_grace_ms == 0);
  CHECK(cfg.listen_host == "10.1.2.3");
  CHECK(cfg.listen_port == 8080);
  CHECK(cfg.api_token == "tok");
  CHECK(cfg.flow_partitions == 65535);
  CHECK(cfg.budget_partitions == 1);
  CHECK(cfg.quota_partitions == 7);
  CHECK(cfg.max_concurrent_stream_ops == 4294967295u);
  CHECK(cfg.backend == backend_kind::postgres);
  CHECK(cfg.valkey_host == "valkey.internal");
  CHECK(cfg.valkey_port == 6380);
  CHECK(cfg.valkey_tls);
  CHECK(cfg.valkey_cluster);
  CHECK(cfg.postgres_url == "postgres://u:p@db/ff");
  CHECK(cfg.postgres_pool_size == 3);
  CHECK(cfg.scanner_intervals_ms.at("FF_LEASE_EXPIRY_INTERVAL_MS") == 0);
  CHECK(cfg.scanner_intervals_ms.at("FF_INDEX_RECONCILER_INTERVAL_S") == 18446744073709551000u);
  CHECK(cfg.force_lua_reload);
  CHECK(cfg.allow_unauthenticated);
  CHECK(cfg.http_threads == 8);
  CHECK(cfg.backend_pool_size == 16);
  CHECK(cfg.partition_queue_bound == 5);
  CHECK(cfg.request_timeout_ms == 1);
  CHECK(cfg.data_dir == "/var/lib/ff");
  CHECK(cfg.redis_server_path == "/opt/redis/bin/redis-server");
  CHECK(cfg.log_level == "debug");
}

TEST_CASE("an invalid value is one line naming the variable") {
  struct bad {
    const char* var;
    const char* value;
  };
  const bad cases[] = {
    {"FF_WAITPOINT_HMAC_SECRET", ""},
    {"FF_WAITPOINT_HMAC_SECRET", "abc"},
    {"FF_WAITPOINT_HMAC_SECRET", "zz"},
    {"FF_WAITPOINT_HMAC_GRACE_MS", "-1"},
    {"FF_WAITPOINT_HMAC_GRACE_MS", "18446744073709551616"},
    {"FF_LISTEN_ADDR", ""},
    {"FF_LISTEN_ADDR", "9090"},
    {"FF_LISTEN_ADDR", "0.0.0.0:"},
    {"FF_LISTEN_ADDR", ":9090"},
    {"FF_LISTEN_ADDR", "0.0.0.0:65536"},
    {"FF_LISTEN_ADDR", "0.0.0.0:http"},
    {"FF_LISTEN_ADDR", "::1:9090"},
    {"FF_LISTEN_ADDR", "[::1]9090"},
    {"FF_LISTEN_ADDR", "[nope]:9090"},
    {"FF_LISTEN_ADDR", "300.1.1.1:9090"},
    {"FF_LISTEN_ADDR", "bad host:9090"},
    {"FF_CORS_ORIGINS", ""},
    {"FF_CORS_ORIGINS", " , ,"},
    {"FF_CORS_ORIGINS", "http://a\x01"},
    {"FF_LANES", ""},
    {"FF_LANES", " ,"},
    {"FF_LANES", "ok,caf\xc3\xa9"},
    {"FF_LANES", "ok,tab\there"},
    {"FF_FLOW_PARTITIONS", "0"},
    {"FF_FLOW_PARTITIONS", "65536"},
    {"FF_FLOW_PARTITIONS", "abc"},
    {"FF_FLOW_PARTITIONS", ""},
    {"FF_FLOW_PARTITIONS", " 8"},
    {"FF_FLOW_PARTITIONS", "+8"},
    {"FF_BUDGET_PARTITIONS", "0"},
    {"FF_QUOTA_PARTITIONS", "-3"},
    {"FF_MAX_CONCURRENT_STREAM_OPS", "0"},
    {"FF_MAX_CONCURRENT_STREAM_OPS", "4294967296"},
    {"FF_BACKEND", "mysql"},
    {"FF_HOST", ""},
    {"FF_PORT", "0"},
    {"FF_PORT", "70000"},
    {"FF_POSTGRES_POOL_SIZE", "0"},
    {"FF_SQLITE_POOL_SIZE", "0"},
    {"FF_LEASE_EXPIRY_INTERVAL_MS", "1.5"},
    {"FF_INDEX_RECONCILER_INTERVAL_S", "18446744073709552"},
    {"FF_EDGE_CANCEL_RECONCILER_INTERVAL_S", "ten"},
    {"FF_HTTP_THREADS", "0"},
    {"FF_BACKEND_POOL_SIZE", "0"},
    {"FF_PARTITION_QUEUE_BOUND", "x"},
    {"FF_REQUEST_TIMEOUT_MS", "0"},
    {"FF_DATA_DIR", ""},
    {"FF_REDIS_SERVER", ""},
    {"FF_LOG_LEVEL", "verbose"},
    {"FF_LOG_LEVEL", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.var);
    CAPTURE(c.value);
    auto r = valid_env({{c.var, c.value}}).parse();
    CHECK_FALSE(r.config);
    CHECK_FALSE(r.exit_now);
    CHECK(r.error.rfind(std::string("invalid value for ") + c.var + ": ", 0) == 0);
    CHECK(r.error.find('\n') == std::string::npos);
    CHECK(r.error.size() > std::string("invalid value for : ").size() + std::strlen(c.var));
  }
}

TEST_CASE("exact error lines") {
  CHECK(valid_env({{"FF_FLOW_PARTITIONS", "0"}}).parse().error ==
        "invalid value for FF_FLOW_PARTITIONS: expected an integer from 1 to 65535, got \"0\"");
  CHECK(valid_env({{"FF_BACKEND", "mysql"}}).parse().error ==
        "invalid value for FF_BACKEND: expected valkey, postgres or sqlite, got \"mysql\"");
  CHECK(valid_env({{"FF_CORS_ORIGINS", ""}}).parse().error ==
        "invalid value for FF_CORS_ORIGINS: set but empty (unset it to allow any origin)");
  CHECK(valid_env({{"FF_LANES", ","}}).parse().error ==
        "invalid value for FF_LANES: at least one lane is required");
  CHECK(valid_env({{"FF_WAITPOINT_HMAC_GRACE_MS", "x"}}).parse().error ==
        "invalid value for FF_WAITPOINT_HMAC_GRACE_MS: expected an integer >= 0, got \"x\"");
  // A control character in the value is escaped so the line stays one line.
  CHECK(valid_env({{"FF_LOG_LEVEL", "a\nb"}}).parse().error ==
        "invalid value for FF_LOG_LEVEL: expected trace, debug, info, warn or error, got "
        "\"a\\x0ab\"");
}

TEST_CASE("the secret is never echoed in an error") {
  const std::string secret = "0123456789abcdefXYZ";
  auto r = valid_env({{"FF_WAITPOINT_HMAC_SECRET", secret}}).parse();
  CHECK(r.error == "invalid value for FF_WAITPOINT_HMAC_SECRET: must contain only hex digits "
                   "0-9a-fA-F");
  CHECK(valid_env({{"FF_WAITPOINT_HMAC_SECRET", "abc"}}).parse().error ==
        "invalid value for FF_WAITPOINT_HMAC_SECRET: must have an even number of hex digits");
}

TEST_CASE("the waitpoint secret is required outside dev mode only") {
  fake_env bare;
  auto r = bare.parse();
  CHECK_FALSE(r.config);
  CHECK(r.error.rfind("invalid value for FF_WAITPOINT_HMAC_SECRET: required outside dev mode", 0) ==
        0);

  fake_env dev;
  dev.vars["FF_DEV_MODE"] = "1";
  auto cfg = dev.config();
  CHECK(cfg.dev_mode);
  CHECK(cfg.waitpoint_hmac_secret.empty()); // generated later from the data folder

  CHECK(fake_env{}.config({"--dev"}).dev_mode);

  // A given secret is still validated and kept in dev mode.
  fake_env dev_with_secret;
  dev_with_secret.vars = {{"FF_DEV_MODE", "1"}, {"FF_WAITPOINT_HMAC_SECRET", "ABCDEF01"}};
  auto with = dev_with_secret.parse();
  REQUIRE(with.config);
  CHECK(with.config->waitpoint_hmac_secret == "ABCDEF01");
  CHECK(with.warnings.size() == 1); // shorter than 64 hex
  dev_with_secret.vars["FF_WAITPOINT_HMAC_SECRET"] = "xyz1";
  CHECK(dev_with_secret.parse().error.rfind("invalid value for FF_WAITPOINT_HMAC_SECRET:", 0) == 0);
}

TEST_CASE("FF_DEV_MODE values") {
  for (const char* on : {"1", "true", "TRUE"})
    CHECK(fake_env{{{"FF_DEV_MODE", on}}}.config().dev_mode);
  for (const char* off : {"0", "", "false"}) {
    auto r = valid_env({{"FF_DEV_MODE", off}}).parse();
    REQUIRE(r.config);
    CHECK_FALSE(r.config->dev_mode);
    CHECK(r.warnings.empty());
  }
  auto odd = valid_env({{"FF_DEV_MODE", "yes"}}).parse();
  REQUIRE(odd.config);
  CHECK_FALSE(odd.config->dev_mode);
  REQUIRE(odd.warnings.size() == 1);
  CHECK(odd.warnings[0].find("FF_DEV_MODE") != std::string::npos);
}

TEST_CASE("booleans are true for 1 and true only") {
  for (const char* on : {"1", "true", "True", "tRuE"})
    CHECK(valid_env({{"FF_TLS", on}}).config().valkey_tls);
  for (const char* off : {"0", "false", "", "yes", "on", "2"})
    CHECK_FALSE(valid_env({{"FF_TLS", off}}).config().valkey_tls);
  CHECK(valid_env({{"FF_CLUSTER", "yes"}}).parse().warnings.size() == 1);
  CHECK(valid_env({{"FF_CLUSTER", "false"}}).parse().warnings.empty());
}

TEST_CASE("FF_BACKEND names") {
  CHECK(valid_env({{"FF_BACKEND", ""}}).config().backend == backend_kind::valkey);
  CHECK(valid_env({{"FF_BACKEND", "VALKEY"}}).config().backend == backend_kind::valkey);
  CHECK(valid_env({{"FF_BACKEND", "postgres"}, {"FF_POSTGRES_URL", "postgres://x"}})
          .config()
          .backend == backend_kind::postgres);
  CHECK(valid_env({{"FF_BACKEND", "postgres"}}).parse().error ==
        "invalid value for FF_POSTGRES_URL: required when FF_BACKEND=postgres");
  CHECK(valid_env({{"FF_BACKEND", "postgres"}, {"FF_POSTGRES_URL", ""}}).parse().error ==
        "invalid value for FF_POSTGRES_URL: required when FF_BACKEND=postgres");
  CHECK(valid_env({{"FF_BACKEND", "SQLite"}}).parse().error.rfind(
          "invalid value for FF_BACKEND: sqlite is allowed only in dev mode", 0) == 0);
  CHECK(valid_env({{"FF_BACKEND", "sqlite"}, {"FF_DEV_MODE", "1"}}).config().backend ==
        backend_kind::sqlite);
}

TEST_CASE("FF_MAX_CONCURRENT_TAIL is consulted only when FF_MAX_CONCURRENT_STREAM_OPS is unset") {
  CHECK(valid_env({{"FF_MAX_CONCURRENT_TAIL", "9"}}).config().max_concurrent_stream_ops == 9);
  auto both =
    valid_env({{"FF_MAX_CONCURRENT_TAIL", "9"}, {"FF_MAX_CONCURRENT_STREAM_OPS", "5"}}).parse();
  REQUIRE(both.config);
  CHECK(both.config->max_concurrent_stream_ops == 5);
  CHECK(both.warnings.size() == 1);
  // An invalid alias is ignored once the real variable is set...
  CHECK(valid_env({{"FF_MAX_CONCURRENT_TAIL", "0"}, {"FF_MAX_CONCURRENT_STREAM_OPS", "5"}})
          .config()
          .max_concurrent_stream_ops == 5);
  // ...and named when it is the one in use.
  CHECK(valid_env({{"FF_MAX_CONCURRENT_TAIL", "0"}}).parse().error ==
        "invalid value for FF_MAX_CONCURRENT_TAIL: expected an integer from 1 to 4294967295, got "
        "\"0\"");
  // Set but empty counts as set (and is invalid), as in the reference.
  CHECK(valid_env({{"FF_MAX_CONCURRENT_TAIL", "9"}, {"FF_MAX_CONCURRENT_STREAM_OPS", ""}})
          .parse()
          .error.rfind("invalid value for FF_MAX_CONCURRENT_STREAM_OPS:", 0) == 0);
}

TEST_CASE("FF_CORS_ORIGINS: trimmed, empties dropped, bad entries dropped with a warning") {
  CHECK(valid_env({{"FF_CORS_ORIGINS", " https://a.example , ,https://b.example,"}})
          .config()
          .cors_origins == std::vector<std::string>{"https://a.example", "https://b.example"});
  CHECK(valid_env({{"FF_CORS_ORIGINS", "https://a.example,*"}}).config().cors_origins ==
        std::vector<std::string>{"https://a.example", "*"});
  auto r = valid_env({{"FF_CORS_ORIGINS", "https://a.example,bad\x7f"}}).parse();
  REQUIRE(r.config);
  CHECK(r.config->cors_origins == std::vector<std::string>{"https://a.example"});
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("FF_CORS_ORIGINS") != std::string::npos);
  CHECK(valid_env({{"FF_CORS_ORIGINS", "bad\x01"}}).parse().error ==
        "invalid value for FF_CORS_ORIGINS: no entry is a valid HTTP header value");
}

TEST_CASE("FF_LANES: trimmed, empties and repeats dropped, each a valid lane id") {
  CHECK(valid_env({{"FF_LANES", " fast ,, slow lane ,fast"}}).config().lanes ==
        std::vector<std::string>{"fast", "slow lane"});
  CHECK(valid_env({{"FF_LANES", std::string(64, 'x')}}).config().lanes.size() == 1);
  CHECK(valid_env({{"FF_LANES", std::string(65, 'x')}}).parse().error.rfind(
          "invalid value for FF_LANES: lane id longer than 64 bytes", 0) == 0);
  CHECK(valid_env({{"FF_LANES", "a,b~!"}}).config().lanes == std::vector<std::string>{"a", "b~!"});
}

TEST_CASE("listen address forms") {
  auto at = [](const char* addr) { return valid_env({{"FF_LISTEN_ADDR", addr}}).config(); };
  CHECK(at("127.0.0.1:8080").listen_host == "127.0.0.1");
  CHECK(at("127.0.0.1:8080").listen_port == 8080);
  CHECK(at("localhost:1").listen_host == "localhost");
  CHECK(at("my-host.example_x:443").listen_host == "my-host.example_x");
  CHECK(at("[::1]:9091").listen_host == "::1");
  CHECK(at("[::1]:9091").listen_port == 9091);
  CHECK(at("[::]:80").listen_host == "::");
  CHECK(at("0.0.0.0:0").listen_port == 0); // the OS picks a free port
  CHECK(at("0.0.0.0:65535").listen_port == 65535);
}

TEST_CASE("dev mode forces a loopback listen host") {
  auto cfg = fake_env{{{"FF_DEV_MODE", "1"}}}.config();
  CHECK(cfg.listen_host == "127.0.0.1");
  CHECK(cfg.listen_port == 9090);

  auto r = fake_env{{{"FF_DEV_MODE", "1"}, {"FF_LISTEN_ADDR", "0.0.0.0:7000"}}}.parse();
  REQUIRE(r.config);
  CHECK(r.config->listen_host == "127.0.0.1");
  CHECK(r.config->listen_port == 7000);
  CHECK(r.warnings.size() == 1);

  auto flag = fake_env{}.config({"--dev", "--listen", "[::]:7001"});
  CHECK(flag.listen_host == "127.0.0.1");
  CHECK(flag.listen_port == 7001);

  auto quiet = fake_env{{{"FF_DEV_MODE", "1"}, {"FF_LISTEN_ADDR", "127.0.0.1:7002"}}}.parse();
  CHECK(quiet.warnings.empty());
}

TEST_CASE("flags override the environment") {
  auto env = valid_env({{"FF_LISTEN_ADDR", "0.0.0.0:1111"}, {"FF_DATA_DIR", "env-dir"}});
  auto cfg = env.config({"--listen", "127.0.0.2:2222", "--data-dir", "flag-dir"});
  CHECK(cfg.listen_host == "127.0.0.2");
  CHECK(cfg.listen_port == 2222);
  CHECK(cfg.data_dir == "flag-dir");
  CHECK(env.config({"--listen=[::1]:3333"}).listen_host == "::1");
  CHECK(env.config({"--print-config"}).print_config);
  CHECK_FALSE(env.config().print_config);
  CHECK(env.config().data_dir == "env-dir");
}

TEST_CASE("a bad flag value names the flag") {
  auto env = valid_env();
  CHECK(env.parse({"--listen", "nowhere"}).error ==
        "invalid value for --listen: \"nowhere\" has no port (expected host:port, e.g. "
        "0.0.0.0:9090 or [::1]:9090)");
  CHECK(env.parse({"--data-dir", ""}).error == "invalid value for --data-dir: must not be empty");
  // The flag is checked even when the variable is fine, and vice versa.
  CHECK(valid_env({{"FF_LISTEN_ADDR", "bad"}}).parse({"--listen", "127.0.0.1:1"}).error.rfind(
          "invalid value for FF_LISTEN_ADDR:", 0) == 0);
}

TEST_CASE("unknown arguments are one-line errors") {
  auto env = valid_env();
  for (auto args : {std::vector<std::string>{"--nope"}, std::vector<std::string>{"extra"},
                    std::vector<std::string>{"--data-dir"}}) {
    auto r = env.parse(args);
    CHECK_FALSE(r.config);
    CHECK_FALSE(r.exit_now);
    CHECK(r.error.rfind("invalid command line: ", 0) == 0);
    CHECK(r.error.find('\n') == std::string::npos);
  }
}

TEST_CASE("--help prints usage and asks to exit, even with a bad environment") {
  fake_env env{{{"FF_FLOW_PARTITIONS", "0"}}};
  for (const char* flag : {"--help", "-h"}) {
    auto r = env.parse({flag});
    CHECK(r.exit_now);
    CHECK_FALSE(r.config);
    CHECK(r.error.empty());
    CHECK(r.output.find("--dev") != std::string::npos);
    CHECK(r.output.find("--print-config") != std::string::npos);
    CHECK(r.output.find("--data-dir") != std::string::npos);
    CHECK(r.output.find("--listen") != std::string::npos);
  }
}

TEST_CASE("no argv at all is accepted") {
  fake_env env = valid_env();
  auto r = ff::parse_config(0, nullptr, &fake_env::lookup, &env);
  CHECK(r.config);
}

TEST_CASE("parse_config_from_process reads the real environment") {
  ::setenv("FF_WAITPOINT_HMAC_SECRET", test_secret.c_str(), 1);
  ::setenv("FF_QUOTA_PARTITIONS", "3", 1);
  const char* argv[] = {"ff-node"};
  auto r = ff::parse_config_from_process(1, argv);
  ::unsetenv("FF_WAITPOINT_HMAC_SECRET");
  ::unsetenv("FF_QUOTA_PARTITIONS");
  REQUIRE(r.config);
  CHECK(r.config->quota_partitions == 3);
}
