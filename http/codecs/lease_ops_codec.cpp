#include "http/codecs/lease_ops_codec.hpp"

#include "http/json_codec.hpp"
#include "http/response_encoding.hpp"

namespace ff {

decoded<on_partition<renew_lease_args>> decode_renew(const route_params& path,
                                                     const rapidjson::Value& body) {
  std::uint64_t ttl = static_cast<std::uint64_t>(default_lease_ttl_ms);
  auto d = decode_fenced<renew_lease_args>(
      path, body, [&](field_reader& r, renew_lease_args&) { r.integer("lease_ttl_ms", ttl, false); });
  if (!d) return d;
  if (auto p = ttl_range_problem("lease_ttl_ms", ttl); !p.empty())
    return failed<on_partition<renew_lease_args>>(bad_request(p));
  d.args->args.lease_ttl_ms = static_cast<std::int64_t>(ttl);
  return d;
}

decoded<on_partition<complete_args>> decode_complete(const route_params& path,
                                                     const rapidjson::Value& body) {
  using result = on_partition<complete_args>;
  const rapidjson::Value* value = nullptr;
  bool utf8 = false;
  auto d = decode_fenced<complete_args>(path, body, [&](field_reader& r, complete_args&) {
    std::string encoding;
    if (r.string("result_encoding", encoding, false)) {
      if (encoding == "utf8") utf8 = true;
      else if (encoding != "base64") r.fail("result_encoding", "expected \"base64\" or \"utf8\"");
    }
    value = r.find("result");
  });
  if (!d) return d;
  auto& result_bytes = d.args->args.result;
  if (value && value->IsString()) {
    std::string_view text(value->GetString(), value->GetStringLength());
    if (utf8) result_bytes.assign(text);
    else if (!base64_decode(text, result_bytes))
      return failed<result>(validation_failure("invalid_input", "result is not valid base64"));
  } else if (value) {
    // Any other JSON value is the result itself, stored as compact JSON.
    result_bytes = to_json(*value);
  }
  return d;
}

decoded<on_partition<fail_args>> decode_fail(const route_params& path,
                                             const rapidjson::Value& body) {
  return decode_fenced<fail_args>(path, body, [&](field_reader& r, fail_args& a) {
    const rapidjson::Value* err = r.find("error");
    if (!err) {
      r.fail("error", "missing required field");
    } else if (!err->IsObject()) {
      r.fail("error", "expected an object {code, message, details?}");
    } else {
      field_reader e(*err, "error.");
      e.string("code", a.failure_category, true);
      e.string("message", a.failure_reason, true);
      adopt_failure(r, e);
    }
    r.boolean("retryable", a.retryable, false);
  });
}

decoded<on_partition<progress_args>> decode_progress(const route_params& path,
                                                     const rapidjson::Value& body) {
  auto d = decode_fenced<progress_args>(path, body, [&](field_reader& r, progress_args& a) {
    r.integer("pct", a.pct, true);
    r.string("message", a.message, false);
  });
  if (d && d.args->args.pct > 100)
    return failed<on_partition<progress_args>>(bad_request("pct must be in 0..=100"));
  return d;
}

void keep_result_text(std::string_view body_text, complete_args& args) {
  if (auto raw = raw_member_text(body_text, {"result"});
      raw && !raw->empty() && raw->front() != '"' && *raw != "null")
    args.result.assign(*raw);
}

void keep_failure_details_text(std::string_view body_text, fail_args& args) {
  if (auto raw = raw_member_text(body_text, {"error", "details"}); raw && *raw != "null")
    args.failure_details.assign(*raw);
}

bool base64_decode(std::string_view in, std::string& out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::size_t len = in.size();
  if (len % 4 == 0 && len >= 1 && in[len - 1] == '=') {
    --len;
    if (in[len - 1] == '=') --len;
  }
  if (len % 4 == 1) return false;
  std::string bytes;
  bytes.reserve(len * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < len; ++i) {
    int v = value(in[i]);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero (canonical encoding).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return false;
  out = std::move(bytes);
  return true;
}

std::string encode_renew_outcome(const renew_outcome& o) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  // No lease remains once the execution was cancelled: null, not epoch 0.
  write_key(w, "lease_expires_at");
  if (o.cancel_requested && o.lease_expires_at == 0) w.Null();
  else w.Int64(o.lease_expires_at);
  write_key(w, "cancel_requested");
  w.Bool(o.cancel_requested);
  write_key(w, "cancel_reason");
  if (o.cancel_reason.empty()) w.Null();
  else write_string(w, o.cancel_reason);
  w.EndObject();
  return json_text(buf);
}

namespace {

void write_next(json_writer& w, const next_leases* next) {
  if (!next) return;
  write_key(w, "next");
  write_leases(w, next->leases);
  if (next->error) {
    write_key(w, "next_error");
    w.StartObject();
    write_error_members(w, *next->error);
    w.EndObject();
  }
}

} // namespace

std::string encode_complete_outcome(const next_leases* next) {
  if (!next) return R"({"outcome":"completed"})";
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_field(w, "outcome", "completed");
  write_next(w, next);
  w.EndObject();
  return json_text(buf);
}

std::string encode_fail_outcome(const fail_outcome& o, const next_leases* next) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "outcome");
  write_string(w, text_of(o.outcome));
  if (o.outcome == fail_disposition::retry_scheduled) {
    write_key(w, "retry_at");
    w.Int64(o.retry_at);
  }
  write_next(w, next);
  w.EndObject();
  return json_text(buf);
}

std::string encode_progress_outcome() { return R"({"outcome":"ok"})"; }

} // namespace ff
