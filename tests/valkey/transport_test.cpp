// Connection failures: a stopped server is a transport error, and the
// backend reconnects by itself once the server is back.

#include <doctest/doctest.h>

#include "tests/valkey/valkey_fixture.hpp"

using namespace ff;
using namespace ff::test;

TEST_CASE("a stopped server is a transport error; the backend recovers after restart") {
  valkey_fixture fx;
  auto a = sample_create_args(9);
  REQUIRE(fx.backend->create_execution(a).has_value());
  REQUIRE(fx.backend->ping().has_value());

  fx.server.stop();
  auto ping = fx.backend->ping();
  REQUIRE_FALSE(ping.has_value());
  CHECK(ping.error().kind == error_kind::transport);
  CHECK(ping.error().retryable);
  // Still down: the reconnect attempt fails the same way.
  auto state = fx.backend->get_execution_state(a.execution_id);
  REQUIRE_FALSE(state.has_value());
  CHECK(state.error().kind == error_kind::transport);
  CHECK(state.error().text().find(std::to_string(fx.server.port())) != std::string::npos);

  fx.server.start();
  REQUIRE(fx.backend->ping().has_value());
  // The execution (and the library) survived through the AOF.
  auto after = fx.backend->get_execution_state(a.execution_id);
  REQUIRE_MESSAGE(after.has_value(), (after ? "" : after.error().text()));
  CHECK(*after == "waiting");
}

TEST_CASE("prepare against an unreachable server fails with a transport error") {
  redis_server server;
  auto opts = options_for(server);
  server.stop();
  auto report = make_valkey_backend(opts)->prepare(default_boot_options());
  REQUIRE_FALSE(report.has_value());
  CHECK(report.error().kind == error_kind::transport);
}

TEST_CASE("a command timeout drops the connection and the next call reconnects") {
  redis_server server;
  auto opts = options_for(server);
  opts.command_timeout = std::chrono::milliseconds(200);
  redis_connection conn(opts);

  auto blocked = conn.command({"BLPOP", "never-pushed", "5"});
  REQUIRE_FALSE(blocked.has_value());
  CHECK(blocked.error().kind == error_kind::timeout);
  CHECK(blocked.error().retryable);
  CHECK_FALSE(conn.connected());

  auto pong = conn.command({"PING"});
  REQUIRE(pong.has_value());
  CHECK(pong->str == "PONG");
  CHECK(conn.connected());
}

TEST_CASE("a restarted server keeps the library, the partition record and the data") {
  valkey_fixture fx;
  auto a = sample_create_args(10);
  REQUIRE(fx.backend->create_execution(a).has_value());

  fx.server.restart();
  auto report = make_valkey_backend(options_for(fx.server))->prepare(default_boot_options());
  REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().text()));
  CHECK_FALSE(report->library_loaded);
  CHECK_FALSE(report->partitions_written);
  // The old backend's connection died with the server: one transport
  // error (the caller may not know whether a write was applied), then the
  // next call reconnects.
  auto stale = fx.backend->get_execution(a.execution_id);
  REQUIRE_FALSE(stale.has_value());
  CHECK(stale.error().kind == error_kind::transport);
  auto info = fx.backend->get_execution(a.execution_id);
  REQUIRE_MESSAGE(info.has_value(), (info ? "" : info.error().text()));
  CHECK(info->execution_kind == a.execution_kind);
}
