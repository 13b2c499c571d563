#include "http/codecs/suspension_codec.hpp"

#include "core/waitpoint_token.hpp"
#include "http/error_mapping.hpp"
#include "http/json_codec.hpp"
#include "http/response_encoding.hpp"
#include "http/router.hpp"

namespace ff {

namespace {

// u64 on the wire, u32 in the store's argument.
void u32_field(field_reader& r, const char* name, std::uint32_t& out) {
  std::uint64_t v = 0;
  if (!r.integer(name, v, false)) return;
  if (v > 0xffffffffull) r.fail(name, "expected an integer in 0..4294967295 (u32)");
  else out = static_cast<std::uint32_t>(v);
}

// u64 on the wire, i64 in the store's argument.
void i64_duration(field_reader& r, const char* name, std::int64_t& out) {
  std::uint64_t v = 0;
  if (!r.integer(name, v, false)) return;
  if (v > static_cast<std::uint64_t>(INT64_MAX)) r.fail(name, "expected an integer in the i64 range");
  else out = static_cast<std::int64_t>(v);
}

void write_binding(json_writer& w, const waitpoint_binding& b) {
  w.StartObject();
  write_key(w, "waitpoint_id");
  write_string(w, b.waitpoint_id);
  write_key(w, "waitpoint_key");
  write_string(w, b.waitpoint_key);
  write_key(w, "waitpoint_token");
  write_string(w, b.waitpoint_token);
  w.EndObject();
}

http_response no_store(http_response r) {
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

} // namespace

decoded<on_partition<suspend_args>> decode_suspend(const route_params& path,
                                                   const rapidjson::Value& body,
                                                   std::int64_t now_ms) {
  using result = on_partition<suspend_args>;
  suspend_input in;
  in.now_ms = now_ms;
  auto d = decode_fenced<suspend_args>(path, body, [&](field_reader& r, suspend_args& a) {
    in.reason_given = r.string("reason_code", a.reason_code, false);
    const rapidjson::Value* wps = r.find("waitpoints");
    if (!wps) {
      r.fail("waitpoints", "missing required field");
    } else if (!wps->IsArray()) {
      r.fail("waitpoints", "expected an array of waitpoint objects");
    } else {
      for (rapidjson::SizeType i = 0; i < wps->Size() && r.ok(); ++i) {
        const auto& w = (*wps)[i];
        std::string at = "waitpoints[" + std::to_string(i) + "]";
        if (!w.IsObject()) return r.fail(at, "expected an object");
        field_reader wr(w, at + ".");
        waitpoint_request wp;
        bool has_key = wr.string("waitpoint_key", wp.waitpoint_key, false);
        std::string id;
        if (wr.string("waitpoint_id", id, false)) {
          if (auto u = canonical_uuid(id)) wp.waitpoint_id = std::move(*u);
          else wr.fail("waitpoint_id", "expected a UUID");
          wp.activate_pending = true;
        }
        adopt_failure(r, wr);
        in.key_given.push_back(has_key);
        a.waitpoints.push_back(std::move(wp));
      }
    }
    const rapidjson::Value* condition = r.find("resume_condition");
    if (!condition) r.fail("resume_condition", "missing required field");
    else if (!condition->IsObject()) r.fail("resume_condition", "expected a JSON object");
    else a.resume_condition_json = to_json(*condition);
    std::uint64_t timeout_ms = 0;
    if (r.integer("timeout_ms", timeout_ms, false)) in.timeout_ms = timeout_ms;
    r.string("timeout_behavior", a.timeout_behavior, false);
    r.string("idempotency_key", a.idempotency_key, false);
  });
  if (!d) return d;
  in.args = std::move(d.args->args);
  auto valid = validate_suspend_args(std::move(in));
  if (!valid) return failed<result>(error_response(valid.error()));
  d.args->args = std::move(*valid);
  return d;
}

decoded<on_partition<create_pending_waitpoint_args>> decode_create_pending_waitpoint(
    const route_params& path, const rapidjson::Value& body, std::int64_t now_ms) {
  using result = on_partition<create_pending_waitpoint_args>;
  pending_waitpoint_input in;
  in.now_ms = now_ms;
  auto d = decode_fenced<create_pending_waitpoint_args>(
      path, body, [&](field_reader& r, create_pending_waitpoint_args& a) {
        in.key_given = r.string("waitpoint_key", a.waitpoint_key, false);
        std::uint64_t expires_in = 0;
        if (r.integer("expires_in_ms", expires_in, false)) in.expires_in_ms = expires_in;
      });
  if (!d) return d;
  in.args = std::move(d.args->args);
  auto valid = validate_pending_waitpoint_args(std::move(in));
  if (!valid) return failed<result>(error_response(valid.error()));
  d.args->args = std::move(*valid);
  return d;
}

decoded<on_partition<signal_request>> decode_signal(const route_params& path,
                                                    const rapidjson::Value& body) {
  using result = on_partition<signal_request>;
  field_reader r(body);
  result out;
  auto& a = out.args.args;
  std::string body_id;
  execution_id_field(r, body_id);
  uuid_field(r, "waitpoint_id", a.waitpoint_id, true);
  uuid_field(r, "signal_id", a.signal_id, true);
  r.string("signal_name", a.signal_name, true);
  r.string("signal_category", a.signal_category, true);
  r.string("source_type", a.source_type, true);
  r.string("source_identity", a.source_identity, true);
  r.bytes("payload", a.payload, false);
  r.string("payload_encoding", a.payload_encoding, false);
  r.string("correlation_id", a.correlation_id, false);
  r.string("idempotency_key", a.idempotency_key, false);
  r.string("target_scope", a.target_scope, true);
  r.integer("created_at", a.created_at, false);
  i64_duration(r, "dedup_ttl_ms", a.dedup_ttl_ms);
  i64_duration(r, "resume_delay_ms", a.resume_delay_ms);
  u32_field(r, "max_signals_per_execution", a.max_signals_per_execution);
  u32_field(r, "signal_maxlen", a.signal_maxlen);
  r.string("waitpoint_token", out.args.token, true);
  std::int64_t now = 0;
  r.integer("now", now, true); // informational: the store uses its own clock
  if (!r.ok()) return failed<result>(unprocessable_json(r.error()));

  execution_id id;
  http_response error;
  if (!path_execution_id_matching(path, body_id, id, error)) return failed<result>(error);
  a.execution_id = id;
  out.partition = id.partition;
  return success(std::move(out));
}

decoded<on_partition<list_pending_waitpoints_args>> decode_list_pending_waitpoints(
    const route_params& path, std::string_view query) {
  using result = on_partition<list_pending_waitpoints_args>;
  execution_id id;
  http_response error;
  if (!path_execution_id(path, id, error)) return failed<result>(error);

  auto pairs = parse_query(query);
  if (!pairs) return failed<result>(query_error("malformed percent-encoding"));
  const std::string *cursor = nullptr, *limit = nullptr;
  for (const auto& [key, value] : *pairs) {
    // The first occurrence wins, as on GET /v1/executions.
    if (key == "cursor" && !cursor) cursor = &value;
    else if (key == "limit" && !limit) limit = &value;
  }
  result out;
  out.partition = id.partition;
  out.args.execution_id = id;
  out.args.limit = default_pending_waitpoints_page;
  if (limit) {
    std::uint64_t n = 0;
    if (!parse_decimal(*limit, n))
      return failed<result>(query_error("limit: expected a non-negative integer (u64)"));
    if (n < 1 || n > max_pending_waitpoints_page)
      return failed<result>(bad_request("limit must be in 1..=1000"));
    out.args.limit = static_cast<std::uint32_t>(n);
  }
  if (cursor && !cursor->empty()) {
    auto c = canonical_uuid(*cursor);
    if (!c) return failed<result>(bad_request("invalid cursor: expected a waitpoint UUID"));
    out.args.cursor = std::move(*c);
  }
  return success(std::move(out));
}

decoded<on_partition<token_lookup>> decode_token_lookup(const route_params& path) {
  using result = on_partition<token_lookup>;
  execution_id id;
  http_response error;
  if (!path_execution_id(path, id, error)) return failed<result>(error);
  const route_param* p = path.find("waitpoint_id");
  if (!p || !p->decoded)
    return failed<result>(bad_request("waitpoint_id: malformed percent-encoding"));
  auto wp = uuid::parse(p->value);
  if (!wp) return failed<result>(bad_request("waitpoint_id: expected a UUID"));
  result out;
  out.partition = id.partition;
  out.args.execution_id = id;
  out.args.waitpoint_id = wp->str();
  return success(std::move(out));
}

decoded<rotate_request> decode_rotate(const rapidjson::Value& body) {
  field_reader r(body);
  rotate_request out;
  r.string("new_kid", out.new_kid, true);
  r.string("new_secret_hex", out.new_secret_hex, true);
  if (!r.ok()) return failed<rotate_request>(unprocessable_json(r.error()));
  if (out.new_kid.size() > max_hmac_kid_bytes)
    return failed<rotate_request>(bad_request(
        "new_kid must be at most " + std::to_string(max_hmac_kid_bytes) + " bytes"));
  if (!is_valid_hmac_kid(out.new_kid))
    return failed<rotate_request>(
        bad_request("new_kid must be non-empty and must not contain ':'"));
  if (out.new_secret_hex.size() > max_secret_hex_chars)
    return failed<rotate_request>(bad_request(
        "new_secret_hex must be at most " + std::to_string(max_secret_hex_chars) + " characters"));
  if (!is_valid_secret_hex(out.new_secret_hex))
    return failed<rotate_request>(
        bad_request("new_secret_hex must be a non-empty even-length hex string"));
  return success(std::move(out));
}

std::string encode_suspend_outcome(const suspend_outcome& o) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "suspension_id");
  write_string(w, o.suspension_id);
  write_key(w, "status");
  write_string(w, text_of(o.status));
  write_key(w, "waitpoints");
  w.StartArray();
  for (const auto& b : o.waitpoints) write_binding(w, b);
  w.EndArray();
  // The worker keeps its lease and goes on with these instead of resuming.
  if (o.status == suspend_status::already_satisfied) {
    write_key(w, "signals");
    write_signals(w, o.signals);
  }
  w.EndObject();
  return json_text(buf);
}

std::string encode_waitpoint_binding(const waitpoint_binding& b) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  write_binding(w, b);
  return json_text(buf);
}

std::string encode_signal_outcome(const deliver_signal_outcome& o) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  if (o.duplicate) {
    write_key(w, "Duplicate");
    w.StartObject();
    write_key(w, "existing_signal_id");
    write_string(w, o.signal_id);
  } else {
    write_key(w, "Accepted");
    w.StartObject();
    write_key(w, "signal_id");
    write_string(w, o.signal_id);
    write_key(w, "effect");
    write_string(w, o.effect);
  }
  w.EndObject();
  w.EndObject();
  return json_text(buf);
}

std::string encode_pending_waitpoints(const pending_waitpoint_page& page) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartArray();
  for (const auto& p : page.waitpoints) {
    w.StartObject();
    write_field(w, "waitpoint_id", p.waitpoint_id);
    write_field(w, "waitpoint_key", p.waitpoint_key);
    write_field(w, "state", p.state);
    write_key(w, "required_signal_names");
    w.StartArray();
    for (const auto& n : p.required_signal_names) write_string(w, n);
    w.EndArray();
    write_key(w, "created_at");
    w.Int64(p.created_at);
    if (p.activated_at != 0) {
      write_key(w, "activated_at");
      w.Int64(p.activated_at);
    }
    if (p.expires_at != 0) {
      write_key(w, "expires_at");
      w.Int64(p.expires_at);
    }
    write_field(w, "execution_id", p.execution_id);
    write_field(w, "token_kid", p.token_kid);
    write_field(w, "token_fingerprint", p.token_fingerprint);
    w.EndObject();
  }
  w.EndArray();
  return json_text(buf);
}

std::string encode_waitpoint_token(const std::string& token) {
  return R"({"token":)" + json_quote(token) + "}";
}

std::string encode_rotation_report(const rotation_report& report) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "rotated");
  w.Uint(report.rotated);
  write_key(w, "failed");
  w.StartArray();
  for (auto p : report.failed) w.Uint(p);
  w.EndArray();
  write_key(w, "new_kid");
  write_string(w, report.new_kid);
  w.EndObject();
  return json_text(buf);
}

http_response rotation_response(expected<rotation_report> r) {
  if (!r) {
    const auto& e = r.error();
    if (e.kind == error_kind::resource_exhausted) {
      // rest-api.md §3.27 step 3: the server-level permit answer has no kind.
      auto resp = json_error(429, e.text(), {}, true);
      resp.headers.emplace_back("Retry-After", "1");
      return resp;
    }
    if (e.kind == error_kind::timeout)
      return json_error(504, "rotation exceeded 120s server-side timeout; retry is safe "
                             "(per-partition rotation is idempotent on the same new_kid + "
                             "secret_hex)");
    return error_response(e);
  }
  if (r->rotated == 0 && r->failed.empty())
    return bad_request("rotation had no partitions to operate on (num_flow_partitions is 0 "
                       "— server misconfigured)");
  if (r->rotated == 0)
    return bad_request("rotation failed on all partitions (check Valkey connectivity)");
  return http_response::json(200, encode_rotation_report(*r));
}

http_response token_response(expected<std::string> r) {
  if (!r) {
    if (r.error().kind == error_kind::not_found)
      return no_store(
          json_error(404, "waitpoint token not found (consumed, expired, or unknown id)"));
    return error_response(r.error());
  }
  if (r->empty())
    return no_store(
        json_error(404, "waitpoint token not found (consumed, expired, or unknown id)"));
  return no_store(http_response::json(200, encode_waitpoint_token(*r)));
}

} // namespace ff
