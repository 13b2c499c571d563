// Numbers in request bodies read as what they say (found by fuzzing: a
// zero with a large exponent, and numbers just above the u64 range, came
// out as huge negative numbers).

#include <doctest/doctest.h>

#include "http/json_codec.hpp"

using namespace ff;

namespace {

rapidjson::Document parsed(const std::string& text) {
  rapidjson::Document doc;
  std::string reason;
  REQUIRE_MESSAGE(parse_json_text(text, doc, &reason), reason);
  return doc;
}

} // namespace

TEST_CASE("a zero written as a double reads as zero, whatever its exponent") {
  const std::string many_zeros = "0." + std::string(40, '0');
  for (const std::string& zero :
       std::vector<std::string>{"0e40", "0E+40", "-0e40", "0.000e300", "-0.0E-400", "0e4", "0.0",
                                many_zeros, "-" + many_zeros}) {
    CAPTURE(zero);
    auto doc = parsed("[" + zero + "]");
    REQUIRE(doc[0].IsNumber());
    CHECK(doc[0].GetDouble() == 0.0);
  }
  auto doc = parsed(R"({"a":0e40,"b":"0e40","c":1e40,"d":[1.5e-3,0e99],"e":"x\"0e40"})");
  CHECK(doc["a"].GetDouble() == 0.0);
  CHECK(std::string(doc["b"].GetString()) == "0e40"); // strings are untouched
  CHECK(doc["c"].GetDouble() == 1e40);
  CHECK(doc["d"][0].GetDouble() == 1.5e-3);
  CHECK(doc["d"][1].GetDouble() == 0.0);
  CHECK(std::string(doc["e"].GetString()) == "x\"0e40");
}

TEST_CASE("numbers just above the u64 range read as about 1.8446744e19 times a power of ten") {
  for (const char* big : {"184467440737095516155", "18446744073709551615.6",
                          "1844674407370955161.56e1", "184467440737095516150"}) {
    CAPTURE(big);
    auto doc = parsed(std::string("[") + big + "]");
    double v = doc[0].GetDouble();
    double expected = std::string(big).find('.') == std::string::npos ? 1.8446744073709552e20
                                                                         : 1.8446744073709552e19;
    CHECK(v == doctest::Approx(expected).epsilon(1e-12));
  }
}

TEST_CASE("invalid numbers stay invalid") {
  for (const char* bad :
       {"[00e99]", "[0.e5]", "[0e]", "[-e5]", "[0e+]", "[0e40e40]", "[0e40.5]", "0e4e40",
        "[0.00000000000000000000000000000x]"}) {
    CAPTURE(bad);
    rapidjson::Document doc;
    std::string reason;
    CHECK_FALSE(parse_json_text(bad, doc, &reason));
  }
}
