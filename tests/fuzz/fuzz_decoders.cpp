// libFuzzer target: every JSON request decoder of the HTTP layer, from
// body parsing (the 400/422 rules) through the field checks to the decoded
// arguments. One target for all of them, so inputs that reach deep into
// one decoder (a valid suspend, a valid create) are mutated into the
// others' shapes too.
//
// Input: one byte choosing the decoder (its value modulo the number of
// decoders), then the request body. Path parameters are valid, so only
// the body decides; fuzz_router covers the path.

#include <cstddef>
#include <cstdint>
#include <string>

#include "http/codecs/executions_claim_codec.hpp"
#include "http/codecs/executions_create_codec.hpp"
#include "http/codecs/lease_ops_codec.hpp"
#include "http/codecs/operator_actions_codec.hpp"
#include "http/codecs/stream_append_codec.hpp"
#include "http/codecs/suspension_codec.hpp"
#include "http/codecs/workers_dispatch_codec.hpp"
#include "http/json_codec.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace ff;

namespace {

route_params path_params() {
  route_params p;
  p.values.push_back({"id", "{fp:1}:6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21", true});
  p.values.push_back({"worker_id", "worker-1", true});
  p.values.push_back({"idx", "0", true});
  p.values.push_back({"waitpoint_id", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", true});
  return p;
}

constexpr std::int64_t now_ms = 1'713'100'800'000;

void decode(unsigned which, const route_params& path, const rapidjson::Value& body) {
  switch (which) {
    case 0: {
      create_decode_options options;
      options.flow_partitions = 8;
      options.server_now_ms = now_ms;
      options.pick_partition = [](std::uint16_t) { return std::uint16_t{3}; };
      auto r = decode_create_execution(body, options);
      if (!r.args) fuzz::check_error_response(r.error);
      return;
    }
    case 1: return fuzz::check_decoded(decode_acquire(path, body));
    case 2: return fuzz::check_decoded(decode_claim_grant(path, body));
    case 3: return fuzz::check_decoded(decode_heartbeat(path, body, now_ms));
    case 4: return fuzz::check_decoded(decode_claim_execution(path, body));
    case 5: return fuzz::check_decoded(decode_renew(path, body));
    case 6: return fuzz::check_decoded(decode_complete(path, body));
    case 7: return fuzz::check_decoded(decode_fail(path, body));
    case 8: return fuzz::check_decoded(decode_progress(path, body));
    case 9: return fuzz::check_decoded(decode_append_frames(path, 0, body));
    case 10: return fuzz::check_decoded(decode_suspend(path, body, now_ms));
    case 11: return fuzz::check_decoded(decode_create_pending_waitpoint(path, body, now_ms));
    case 12: return fuzz::check_decoded(decode_signal(path, body));
    case 13: return fuzz::check_decoded(decode_rotate(body));
    case 14: return fuzz::check_decoded(decode_cancel(path, body));
    case 15: return fuzz::check_decoded(decode_change_priority(path, body));
    case 16: return fuzz::check_decoded(decode_reclaim(path, body));
    default: {
      if (body.HasMember("policy")) (void)check_policy(body["policy"]);
      return;
    }
  }
}
constexpr unsigned decoder_count = 18;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const route_params path = path_params();
  http_request req;
  req.method = "POST";
  req.has_content_type = true;
  req.content_type = "application/json";
  req.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);

  rapidjson::Document doc;
  http_response error;
  if (!parse_json_body(req, doc, error)) {
    fuzz::check_error_response(error);
    return 0;
  }
  decode(data[0] % decoder_count, path, doc);
  return 0;
}
