#pragma once
// What every fuzz target checks of an answer it got instead of decoded
// arguments: a 4xx whose body is one valid-UTF-8 JSON object. A violation
// aborts, which libFuzzer reports as a crash with the input that caused it.

#include <cstdio>
#include <cstdlib>

#include <rapidjson/document.h>

#include "http/http_types.hpp"
#include "http/json_codec.hpp"

namespace ff::fuzz {

[[noreturn]] inline void violated(const char* what, const std::string& body) {
  std::fprintf(stderr, "fuzz check failed: %s\nbody: %s\n", what, body.c_str());
  std::abort();
}

inline void check_error_response(const http_response& r) {
  if (r.status < 400 || r.status > 499) violated("error status is not 4xx", r.body);
  if (!is_valid_utf8(r.body)) violated("error body is not valid UTF-8", r.body);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(r.body.data(), r.body.size());
  if (doc.HasParseError() || !doc.IsObject()) violated("error body is not a JSON object", r.body);
}

template <class Decoded>
void check_decoded(const Decoded& d) {
  if (!d) check_error_response(d.error);
}

} // namespace ff::fuzz
