// libFuzzer target: request routing and everything decoded from the
// request line alone — percent-decoding, query strings, typed path
// parameters, the query decoders of the stream and waitpoint routes, and
// the echo of input into error texts.
//
// Input: one byte choosing the method, then the request target
// ("/path?query").

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/codecs/stream_read_codec.hpp"
#include "http/codecs/suspension_codec.hpp"
#include "http/json_codec.hpp"
#include "http/request_decoding.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace ff;

namespace {

const router& the_router() {
  static const router r = [] {
    router out;
    std::size_t i = 0;
    for (const auto& route : route_table()) out.add(route.method, route.path, i++);
    return out;
  }();
  return r;
}

void check_text_helpers(std::string_view s) {
  auto echoed = echo_input(s);
  if (!is_valid_utf8(echoed)) fuzz::violated("echo_input made invalid UTF-8", echoed);
  if (echoed.size() > max_echo_bytes + 3) fuzz::violated("echo_input exceeded its bound", echoed);
  auto lossy = utf8_lossy(s);
  if (!is_valid_utf8(lossy)) fuzz::violated("utf8_lossy made invalid UTF-8", lossy);
  if (is_valid_utf8(s) && lossy != s) fuzz::violated("utf8_lossy changed valid UTF-8", lossy);
  fuzz::check_error_response(bad_request(s));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static constexpr const char* methods[] = {"GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS"};
  std::string_view method = methods[data[0] % 6];
  std::string_view target(reinterpret_cast<const char*>(data + 1), size - 1);
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);

  check_text_helpers(target);
  if (auto decoded = percent_decode(path)) check_text_helpers(*decoded);
  if (auto pairs = parse_query(query))
    for (const auto& [k, v] : *pairs) check_text_helpers(v);

  auto match = the_router().match(method, path);
  if (match.status != router::outcome::matched) return 0;
  const auto& params = match.params;
  const std::string& tmpl = *match.path_template;

  http_response error;
  execution_id id;
  std::string worker;
  std::uint32_t idx = 0;
  if (params.find("id") && tmpl.rfind("/v1/executions/", 0) == 0 &&
      !path_execution_id(params, id, error))
    fuzz::check_error_response(error);
  if (params.find("worker_id") && !path_worker_id(params, worker, error))
    fuzz::check_error_response(error);
  if (params.find("idx") && !path_attempt_index(params, idx, error))
    fuzz::check_error_response(error);

  if (tmpl == "/v1/executions/{id}/attempts/{idx}/stream")
    fuzz::check_decoded(decode_read_stream(params, query));
  else if (tmpl == "/v1/executions/{id}/attempts/{idx}/stream/tail")
    fuzz::check_decoded(decode_tail_stream(params, query));
  else if (tmpl == "/v1/executions/{id}/pending-waitpoints")
    fuzz::check_decoded(decode_list_pending_waitpoints(params, query));
  else if (tmpl == "/v1/executions/{id}/waitpoints/{waitpoint_id}/token")
    fuzz::check_decoded(decode_token_lookup(params));
  parse_stream_cursor(query);
  return 0;
}
