#include <doctest/doctest.h>

#include "http/error_mapping.hpp"

using namespace ff;

namespace {

void check_store_code(const std::string& code, unsigned status, const std::string& body) {
  CAPTURE(code);
  auto r = error_response(classify_store_error(code, ""));
  CHECK(r.status == status);
  CHECK(r.body == body);
  CHECK(r.content_type == "application/json");
}

} // namespace

TEST_CASE("error mapping: every error kind") {
  SUBCASE("invalid_input") {
    auto r = error_response(engine_error::invalid_input("partition_id does not match execution_id"));
    CHECK(r.status == 400);
    CHECK(r.body ==
          R"({"error":"partition_id does not match execution_id","kind":"invalid_input"})");
  }
  SUBCASE("validation") {
    auto r = error_response(classify_store_error("invalid_capabilities", "required:empty_token"));
    CHECK(r.status == 400);
    CHECK(r.body ==
          R"({"error":"invalid_capabilities: required:empty_token","kind":"invalid_capabilities"})");
    auto unknown = error_response(classify_store_error("weird_code", "x"));
    CHECK(unknown.status == 400);
    CHECK(unknown.body ==
          R"({"error":"validation_error: weird_code: x","kind":"validation_error"})");
  }
  SUBCASE("not_found") {
    auto r = error_response(classify_store_error("flow_not_found", ""));
    CHECK(r.status == 404);
    CHECK(r.body == R"({"error":"not found: flow"})");
    auto server = error_response(engine_error::not_found("execution not found: {fp:1}:x"));
    CHECK(server.body == R"({"error":"execution not found: {fp:1}:x"})");
  }
  SUBCASE("conflict") {
    auto r = error_response(classify_store_error("cycle_detected", "CycleDetected"));
    CHECK(r.status == 409);
    CHECK(r.body == R"({"error":"cycle_detected: CycleDetected","kind":"cycle_detected","retryable":false})");
    engine_error generic;
    generic.kind = error_kind::conflict;
    generic.code = "something_else";
    CHECK(error_response(generic).body ==
          R"({"error":"something_else","kind":"conflict","retryable":false})");
  }
  SUBCASE("contention") {
    auto r = error_response(classify_store_error("stale_graph_revision", ""));
    CHECK(r.status == 409);
    CHECK(r.body == R"({"error":"stale_graph_revision","kind":"contention","retryable":true})");
    auto rate = error_response(classify_store_error("rate_limit_exceeded", ""));
    CHECK(rate.status == 429);
    CHECK(rate.body ==
          R"({"error":"rate_limit_exceeded","kind":"rate_limit_exceeded","retryable":true})");
    auto conc = error_response(classify_store_error("concurrency_limit_exceeded", ""));
    CHECK(conc.status == 429);
    auto exhausted = error_response(classify_store_error("retry_exhausted", ""));
    CHECK(exhausted.status == 500);
    CHECK(exhausted.body ==
          R"({"error":"retry_exhausted","kind":"retry_exhausted","retryable":false})");
  }
  SUBCASE("state") {
    auto r = error_response(classify_store_error("execution_not_terminal", ""));
    CHECK(r.status == 409);
    CHECK(r.body ==
          R"({"error":"execution_not_terminal","kind":"execution_not_terminal","retryable":false})");
  }
  SUBCASE("resource_exhausted") {
    auto r = error_response(engine_error::resource_exhausted("stream_ops", 64));
    CHECK(r.status == 429);
    CHECK(r.body == R"({"error":"too many concurrent stream_ops calls (server max: 64); retry with backoff","kind":"resource_exhausted","retryable":true})");
    REQUIRE(r.header("Retry-After"));
    CHECK(*r.header("retry-after") == "1");
  }
  SUBCASE("unavailable") {
    auto r = error_response(engine_error::unavailable("claim_for_worker"));
    CHECK(r.status == 503);
    CHECK(r.body ==
          R"({"error":"backend op unavailable: claim_for_worker","kind":"unavailable","retryable":false})");
  }
  SUBCASE("transport and timeout are 503 unavailable, worth a retry") {
    auto t = error_response(engine_error::transport("connection refused"));
    CHECK(t.status == 503);
    CHECK(t.body == R"({"error":"backend: connection refused","kind":"unavailable","retryable":true})");
    REQUIRE(t.header("Retry-After"));
    CHECK(*t.header("Retry-After") == "1");
    auto to = error_response(engine_error::timeout("no reply in 30000 ms"));
    CHECK(to.status == 503);
    CHECK(to.body == R"({"error":"backend: no reply in 30000 ms","kind":"unavailable","retryable":true})");
    REQUIRE(to.header("Retry-After"));
    CHECK(*to.header("Retry-After") == "1");
  }
  SUBCASE("a store that cannot be reached is 503 with Retry-After") {
    auto r = error_response(engine_error::store_unavailable("connect: Connection refused"));
    CHECK(r.status == 503);
    CHECK(r.body ==
          R"({"error":"store unavailable: connect: Connection refused","kind":"unavailable","retryable":true})");
    REQUIRE(r.header("Retry-After"));
    CHECK(*r.header("Retry-After") == "1");
  }
  SUBCASE("internal") {
    auto r = error_response(engine_error::internal("bug"));
    CHECK(r.status == 500);
    CHECK(r.body == R"({"error":"engine: bug","retryable":false})");
    CHECK_FALSE(r.header("Retry-After"));
  }
}

TEST_CASE("error mapping: state kinds per table 1.5d") {
  check_store_code("max_replays_exhausted", 409,
                   R"({"error":"max_replays_exhausted","kind":"max_replays_exhausted","retryable":false})");
  check_store_code("flow_already_terminal", 409,
                   R"({"error":"flow_already_terminal","kind":"flow_already_terminal","retryable":false})");
  check_store_code("budget_soft_exceeded", 409,
                   R"({"error":"budget_soft_exceeded","kind":"budget_soft_exceeded","retryable":false})");
  for (auto code : {"already_satisfied", "duplicate_signal", "ok_already_applied",
                    "attempt_already_terminal", "stream_already_closed", "lease_expired",
                    "lease_revoked"})
    check_store_code(code, 409,
                     std::string(R"({"error":")") + code +
                         R"(","kind":"already_satisfied","retryable":false})");
  for (auto code : {"stale_lease", "waitpoint_closed", "target_not_signalable",
                    "grant_already_exists", "execution_not_in_flow", "max_retries_exhausted"})
    check_store_code(code, 409,
                     std::string(R"({"error":")") + code +
                         R"(","kind":"state_conflict","retryable":false})");
}

TEST_CASE("error mapping: contention, conflict and not-found samples") {
  for (auto code : {"lease_conflict", "execution_not_active", "no_active_lease",
                    "waitpoint_not_found", "execution_not_eligible"})
    check_store_code(code, 409,
                     std::string(R"({"error":")") + code +
                         R"(","kind":"contention","retryable":true})");
  for (auto code : {"dependency_already_exists", "self_referencing_edge",
                    "execution_already_in_flow", "rotation_conflict"})
    check_store_code(code, 409,
                     std::string(R"({"error":")") + code + R"(","kind":")" + code +
                         R"(","retryable":false})");
  for (auto entity : {"execution", "attempt", "budget", "quota_policy", "stream"})
    check_store_code(std::string(entity) + "_not_found", 404,
                     std::string(R"({"error":"not found: )") + entity + "\"}");
}

TEST_CASE("error mapping: empty or expired waitpoint token is invalid_input") {
  check_store_code("missing_token", 400,
                   R"({"error":"missing_token","kind":"invalid_input","retryable":false})");
  check_store_code("token_expired", 400,
                   R"({"error":"token_expired","kind":"invalid_input","retryable":false})");
  check_store_code("invalid_token", 400, R"({"error":"invalid_token","kind":"invalid_token"})");
}

TEST_CASE("shutting-down body") {
  auto r = shutting_down_response();
  CHECK(r.status == 503);
  CHECK(r.body == R"({"error":"shutting down","kind":"unavailable","retryable":false})");
}
