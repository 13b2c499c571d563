#include <doctest/doctest.h>

#include "core/engine_error.hpp"
#include "core/expected.hpp"

using namespace ff;

TEST_CASE("store codes are classified per the error table") {
  struct row { const char* code; error_kind kind; bool retryable; };
  const row rows[] = {
    {"invalid_capabilities", error_kind::validation, false},
    {"invalid_token", error_kind::validation, false},
    {"missing_token", error_kind::validation, false},
    {"token_expired", error_kind::validation, false},
    {"execution_not_found", error_kind::not_found, false},
    {"budget_not_found", error_kind::not_found, false},
    {"cycle_detected", error_kind::conflict, false},
    {"rotation_conflict", error_kind::conflict, false},
    {"rate_limit_exceeded", error_kind::contention, true},
    {"lease_conflict", error_kind::contention, true},
    {"execution_not_active", error_kind::contention, true},
    {"retry_exhausted", error_kind::contention, false},
    {"stale_lease", error_kind::state, false},
    {"lease_revoked", error_kind::state, false},
    {"max_replays_exhausted", error_kind::state, false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.code);
    auto e = classify_store_error(r.code, "");
    CHECK(e.kind == r.kind);
    CHECK(e.retryable == r.retryable);
  }
}

TEST_CASE("error text") {
  CHECK(classify_store_error("invalid_capabilities", "required:comma_in_token").text() ==
        "invalid_capabilities: required:comma_in_token");
  CHECK(classify_store_error("execution_not_found", "").text() == "not found: execution");
  CHECK(classify_store_error("quota_policy_not_found", "").text() == "not found: quota_policy");
  auto unknown = classify_store_error("corruption", "bad summary");
  CHECK(unknown.kind == error_kind::validation);
  CHECK(unknown.code == "validation_error");
  CHECK(unknown.text() == "validation_error: corruption: bad summary");
  CHECK(engine_error::resource_exhausted("partition", 8).text() ==
        "too many concurrent partition calls (server max: 8); retry with backoff");
  CHECK(engine_error::not_found("execution not found: x").text() == "execution not found: x");
  CHECK(engine_error::unavailable("shutdown").text() == "backend op unavailable: shutdown");
}

TEST_CASE("expected carries a value or an error") {
  expected<int> ok = 5;
  REQUIRE(ok);
  CHECK(*ok == 5);
  expected<int> bad = engine_error::transport("down");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == error_kind::transport);
  CHECK(bad.error().retryable);
}
