#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/suspension.hpp"
#include "core/validation.hpp"

using namespace ff;

TEST_CASE("LaneId faults, in order, with the offending byte") {
  CHECK(check_lane_id("default").ok());
  CHECK(check_lane_id(std::string(64, 'x')).ok());
  CHECK(check_lane_id("").kind == lane_id_fault::empty);
  CHECK(check_lane_id(std::string(65, '\t')).kind == lane_id_fault::too_long);
  auto bad = check_lane_id("ab\x7f");
  CHECK(bad.kind == lane_id_fault::bad_byte);
  CHECK(bad.at == 2);
}

TEST_CASE("capability sets: tokens first, then size; a worker's set is de-duplicated") {
  auto worker = capabilities_csv({"gpu", "arm", "gpu"}, capability_set::worker);
  REQUIRE(worker);
  CHECK(*worker == "arm,gpu");
  auto required = capabilities_csv({"gpu", "arm", "gpu"}, capability_set::required);
  REQUIRE(required);
  CHECK(*required == "arm,gpu,gpu");

  auto empty = capabilities_csv({"a", ""}, capability_set::required);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().kind == error_kind::validation);
  CHECK(empty.error().text() == "invalid_capabilities: required:empty_token");
  CHECK_FALSE(check_capability_tokens({"a b"}, capability_set::worker));
  CHECK(check_capability_tokens({"a", "b"}, capability_set::worker));

  std::vector<std::string> many;
  for (int i = 0; i < 257; ++i) many.push_back("t" + std::to_string(i));
  auto too_many = capabilities_csv(many, capability_set::worker);
  REQUIRE_FALSE(too_many);
  CHECK(too_many.error().text() == "invalid_capabilities: worker:too_many_tokens");
}

TEST_CASE("parse_int: the whole text, empty reads as 0") {
  std::int64_t v = 7;
  CHECK(parse_int("", v));
  CHECK(v == 0);
  CHECK(parse_int("-42", v));
  CHECK(v == -42);
  std::uint32_t u = 0;
  CHECK_FALSE(parse_int("12x", u));
  CHECK_FALSE(parse_int("4294967296", u));
}

namespace {

suspend_input one_fresh_waitpoint(const std::string& condition) {
  suspend_input in;
  waitpoint_request wp;
  wp.waitpoint_key = "k";
  in.args.waitpoints.push_back(wp);
  in.key_given.push_back(true);
  in.args.resume_condition_json = condition;
  in.now_ms = 1'000;
  return in;
}

} // namespace

TEST_CASE("validate_suspend_args normalises and sets the deadline") {
  auto in = one_fresh_waitpoint(R"({"type":"single","waitpoint_key":"k","signal_name":null})");
  in.timeout_ms = 500;
  auto out = validate_suspend_args(in);
  REQUIRE(out);
  CHECK(out->timeout_at == 1'500);
  CHECK(out->resume_condition_json == R"({"type":"single","waitpoint_key":"k"})");

  auto timeout_only = one_fresh_waitpoint(R"({"type":"timeout_only"})");
  auto refused = validate_suspend_args(timeout_only);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == error_kind::invalid_input);
  CHECK(refused.error().text() == "resume_condition: timeout_only requires timeout_ms");
  CHECK(is_timeout_only_condition(R"({"type":"timeout_only"})"));
  CHECK_FALSE(is_timeout_only_condition(R"({"type":"single","waitpoint_key":"k"})"));

  auto none = one_fresh_waitpoint(R"({"type":"operator_only"})");
  none.args.waitpoints.clear();
  none.key_given.clear();
  auto empty = validate_suspend_args(none);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().text() == "waitpoints must hold 1..=16 entries (got 0)");
}

TEST_CASE("validate_pending_waitpoint_args") {
  pending_waitpoint_input in;
  in.now_ms = 10;
  in.expires_in_ms = 5;
  auto out = validate_pending_waitpoint_args(in);
  REQUIRE(out);
  CHECK(out->expires_at == 15);
  in.key_given = true; // sent, but empty
  auto bad = validate_pending_waitpoint_args(in);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().text() == "waitpoint_key: must not be empty");
}
