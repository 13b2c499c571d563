// Waitpoint tokens (core/waitpoint_token) and resume-condition validation
// (core/suspension).

#include <doctest/doctest.h>

#include <cctype>

#include "core/suspension.hpp"
#include "core/waitpoint_token.hpp"

using namespace ff;

namespace {

const std::string eid = "{fp:24}:1b4e28ba-2fa1-41d2-883f-0016d3cca427";
const std::string wpid = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
// printf '%s' '<eid>|<wpid>' |
//   openssl dgst -sha256 -mac HMAC -macopt hexkey:000102030405060708090a0b0c0d0e0f
const std::string vector_token =
    "k1:37a8ef241b6fd651d8210ea8d4d2887f011ddfa794f31fe471444278d9d6c1fa";
constexpr std::int64_t now = 1'713'100'800'150;

hmac_ring ring_k1() {
  hmac_ring r;
  r.current_kid = "k1";
  r.kids["k1"] = {"000102030405060708090a0b0c0d0e0f", 0};
  return r;
}

// k2 current; k1 retired, usable until `k1_expires`.
hmac_ring rotated_ring(std::int64_t k1_expires) {
  hmac_ring r = ring_k1();
  r.current_kid = "k2";
  r.kids["k1"].expires_at_ms = k1_expires;
  r.kids["k2"] = {"ffeeddccbbaa99887766554433221100", 0};
  return r;
}

std::string verify_code(const hmac_ring& ring, const std::string& token,
                        const std::string& e = eid, const std::string& w = wpid,
                        std::int64_t at = now) {
  auto r = verify_waitpoint_token(ring, token, e, w, at);
  return r.has_value() ? "ok" : r.error().code;
}

} // namespace

TEST_CASE("mint matches the fixed openssl vector and verifies") {
  auto token = mint_waitpoint_token(ring_k1(), eid, wpid);
  REQUIRE(token.has_value());
  CHECK(*token == vector_token);
  CHECK(verify_code(ring_k1(), vector_token) == "ok");
  // Upper-case secret hex is the same key.
  hmac_ring upper = ring_k1();
  upper.kids["k1"].secret_hex = "000102030405060708090A0B0C0D0E0F";
  CHECK(*mint_waitpoint_token(upper, eid, wpid) == vector_token);
}

TEST_CASE("one invalid_token answer for every failure, missing_token for empty") {
  const hmac_ring ring = ring_k1();
  CHECK(verify_code(ring, "") == "missing_token");
  auto empty = verify_waitpoint_token(ring, "", eid, wpid, now);
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().kind == error_kind::validation);

  // Tampered digest (last hex digit flipped).
  std::string tampered = vector_token;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  CHECK(verify_code(ring, tampered) == "invalid_token");
  // Wrong execution or waitpoint.
  CHECK(verify_code(ring, vector_token, "{fp:24}:00000000-2fa1-41d2-883f-0016d3cca427") ==
        "invalid_token");
  CHECK(verify_code(ring, vector_token, eid, "00000000-4d5e-4f60-8a7b-9c0d1e2f3a4b") ==
        "invalid_token");
  // Unknown kid with the right digest.
  CHECK(verify_code(ring, "k9" + vector_token.substr(2)) == "invalid_token");
  // Malformed: no kid separator, short digest, upper-case digest, extra text.
  CHECK(verify_code(ring, vector_token.substr(3)) == "invalid_token");
  CHECK(verify_code(ring, vector_token.substr(0, vector_token.size() - 2)) == "invalid_token");
  std::string upper = vector_token;
  for (std::size_t i = 3; i < upper.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  CHECK(verify_code(ring, upper) == "invalid_token");
  CHECK(verify_code(ring, vector_token + "0") == "invalid_token");
  CHECK(verify_code(ring, ":" + vector_token.substr(3)) == "invalid_token");

  auto bad = verify_waitpoint_token(ring, tampered, eid, wpid, now);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().kind == error_kind::validation);
  CHECK(bad.error().detail.empty());
}

TEST_CASE("a retired kid verifies inside its grace only; the current kid mints") {
  const hmac_ring ring = rotated_ring(now + 1000);
  CHECK(verify_code(ring, vector_token, eid, wpid, now) == "ok");
  CHECK(verify_code(ring, vector_token, eid, wpid, now + 1000) == "ok");
  // Past the grace a genuine token is expired; a forged one stays invalid.
  CHECK(verify_code(ring, vector_token, eid, wpid, now + 1001) == "token_expired");
  std::string tampered = vector_token;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  CHECK(verify_code(ring, tampered, eid, wpid, now + 1001) == "invalid_token");
  auto expired = verify_waitpoint_token(ring, vector_token, eid, wpid, now + 1001);
  REQUIRE_FALSE(expired.has_value());
  CHECK(expired.error().kind == error_kind::validation);
  // A retired kid without a positive expiry never verifies.
  CHECK(verify_code(rotated_ring(0), vector_token) == "token_expired");

  auto minted = mint_waitpoint_token(ring, eid, wpid);
  REQUIRE(minted.has_value());
  CHECK(minted->rfind("k2:", 0) == 0);
  CHECK(*minted != vector_token);
  CHECK(verify_code(ring, *minted, eid, wpid, now + 10'000'000) == "ok");
}

TEST_CASE("mint needs a usable current secret") {
  hmac_ring none;
  auto no_secret = mint_waitpoint_token(none, eid, wpid);
  REQUIRE_FALSE(no_secret.has_value());
  // An operator's mistake, typed: 503, not a 500 bug.
  CHECK(no_secret.error().kind == error_kind::unavailable);
  CHECK(no_secret.error().code == "waitpoint_secret_invalid");
  hmac_ring bad = ring_k1();
  bad.kids["k1"].secret_hex = "abc";
  auto not_hex = mint_waitpoint_token(bad, eid, wpid);
  REQUIRE_FALSE(not_hex.has_value());
  CHECK(not_hex.error().kind == error_kind::unavailable);
  CHECK(not_hex.error().text() == "waitpoint secret unusable: the secret of kid k1 is not valid hex");
  CHECK(verify_code(bad, vector_token) == "invalid_token");
}

TEST_CASE("kid, fingerprint and hex helpers") {
  CHECK(token_kid(vector_token) == "k1");
  CHECK(token_kid("nokid") == "");
  // printf '%s' '<vector_token>' | sha256sum, first 16 hex.
  CHECK(token_fingerprint(vector_token) == "b14f42107eeb3411");
  CHECK(token_fingerprint(vector_token).size() == 16);
  CHECK(is_valid_hmac_kid("k1"));
  CHECK_FALSE(is_valid_hmac_kid(""));
  CHECK_FALSE(is_valid_hmac_kid("a:b"));
  CHECK_FALSE(is_valid_hmac_kid("a b"));
  CHECK(is_valid_secret_hex("00ffAA"));
  CHECK_FALSE(is_valid_secret_hex("abc"));
  CHECK_FALSE(is_valid_secret_hex("zz"));
  CHECK_FALSE(is_valid_secret_hex(""));
  CHECK(is_lower_hex("0a", 2));
  CHECK_FALSE(is_lower_hex("0A", 2));
  CHECK_FALSE(is_lower_hex("0a", 3));
}

TEST_CASE("resume conditions normalize and name their problems") {
  const std::vector<std::string> keys = {"a", "b", "c"};
  auto single = parse_resume_condition(
      R"({"type":"single","signal_name":null,"waitpoint_key":"a","extra":1})", keys);
  REQUIRE(single.has_value());
  CHECK(*single == R"({"type":"single","waitpoint_key":"a"})");

  auto nested = parse_resume_condition(
      R"({"type":"all_of","members":[{"type":"any_of","waitpoint_keys":["a","b"]},
          {"type":"count","n":2,"count_kind":"distinct_sources","waitpoint_keys":["c"],
           "signal_name":"approve"}]})",
      keys);
  REQUIRE_MESSAGE(nested.has_value(), (nested ? "" : nested.error().text()));
  CHECK(*nested ==
        R"({"type":"all_of","members":[{"type":"any_of","waitpoint_keys":["a","b"]},)"
        R"({"type":"count","n":2,"count_kind":"distinct_sources","waitpoint_keys":["c"],)"
        R"("signal_name":"approve"}]})");

  auto err = [&](const std::string& json, bool all_known = true) {
    auto r = parse_resume_condition(json, keys, all_known);
    return r.has_value() ? std::string("ok") : r.error().text();
  };
  CHECK(err(R"({"type":"single","waitpoint_key":"zzz"})").find("names no waitpoint") !=
        std::string::npos);
  CHECK(err(R"({"type":"single","waitpoint_key":"zzz"})", false) == "ok");
  CHECK(err("not json").find("invalid JSON") != std::string::npos);
  CHECK(err(R"({"type":"bogus"})").find("unknown type") != std::string::npos);
  CHECK(err(R"({"type":"single","waitpoint_key":"a","signal_name":""})")
            .find("signal_name") != std::string::npos);
  CHECK(err(R"({"type":"any_of","waitpoint_keys":[]})").find("non-empty") !=
        std::string::npos);
  CHECK(err(R"({"type":"any_of","waitpoint_keys":["a","a"]})").find("duplicate") !=
        std::string::npos);
  CHECK(err(R"({"type":"count","n":0,"count_kind":"distinct_signals","waitpoint_keys":["a"]})")
            .find("resume_condition.n") != std::string::npos);
  CHECK(err(R"({"type":"count","n":3,"count_kind":"distinct_waitpoints","waitpoint_keys":["a","b"]})")
            .find("exceeds") != std::string::npos);
  CHECK(err(R"({"type":"count","n":1,"count_kind":"nope","waitpoint_keys":["a"]})")
            .find("count_kind") != std::string::npos);
  CHECK(err(R"({"type":"all_of","members":[]})").find("members") != std::string::npos);
  CHECK(err(R"({"type":"all_of","members":[{"type":"operator_only"}]})")
            .find("top-level") != std::string::npos);
  CHECK(err(R"({"type":"operator_only"})") == "ok");
  CHECK(err(R"({"type":"timeout_only"})") == "ok");

  // Depth: 4 levels pass, 5 fail.
  const std::string leaf = R"({"type":"single","waitpoint_key":"a"})";
  auto wrap = [](const std::string& inner) {
    return R"({"type":"all_of","members":[)" + inner + "]}";
  };
  CHECK(err(wrap(wrap(wrap(leaf)))) == "ok");
  CHECK(err(wrap(wrap(wrap(wrap(leaf))))).find("nesting deeper than 4") != std::string::npos);
  auto bad = parse_resume_condition("[]", keys);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().kind == error_kind::invalid_input);
}

TEST_CASE("timeout behaviors and the suspend dedup ttl") {
  for (const char* b : {"fail", "cancel", "expire", "auto_resume", "escalate"})
    CHECK(is_valid_timeout_behavior(b));
  CHECK_FALSE(is_valid_timeout_behavior("auto_resume_with_timeout_signal"));
  CHECK(suspend_dedup_ttl_ms(0, now) == max_suspend_dedup_ttl_ms);
  CHECK(suspend_dedup_ttl_ms(now + 1000, now) == 61'000);
  CHECK(suspend_dedup_ttl_ms(now + 10 * max_suspend_dedup_ttl_ms, now) ==
        max_suspend_dedup_ttl_ms);
}
