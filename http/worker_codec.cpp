#include "http/worker_codec.hpp"

#include <algorithm>
#include <set>

#include "http/error_mapping.hpp"
#include "http/json_codec.hpp"

namespace ff {

namespace {

// The fence of decisions.md §5.1: lease_id (UUID), lease_epoch (u64) and
// attempt_index (u32) required, attempt_id (UUID) optional. Ids are kept in
// canonical form, the form the store was given when the lease was minted.
void read_fence(field_reader& r, lease_fence& fence) {
  std::string lease_id;
  if (r.string("lease_id", lease_id, true)) {
    if (auto id = canonical_uuid(lease_id)) fence.lease_id = std::move(*id);
    else r.fail("lease_id", "expected a UUID");
  }
  r.integer("lease_epoch", fence.lease_epoch, true);
  r.integer("attempt_index", fence.attempt_index, true);
  std::string attempt_id;
  if (r.string("attempt_id", attempt_id, false)) {
    if (auto id = canonical_uuid(attempt_id)) fence.attempt_id = std::move(*id);
    else r.fail("attempt_id", "expected a UUID");
  }
}

// Carries the first failure of a reader of a nested object (whose prefix
// names the path) into the body's reader, so it is reported in body order.
void adopt_failure(field_reader& outer, const field_reader& inner) {
  if (inner.ok()) return;
  const auto& e = inner.error();
  auto colon = e.find(": ");
  outer.fail(e.substr(0, colon), colon == std::string::npos ? "" : e.substr(colon + 2));
}

// A store-level validation code detected at the edge: same status and
// `kind` as when the store reports it.
http_response validation_failure(std::string code, std::string detail) {
  engine_error e;
  e.kind = error_kind::validation;
  e.code = std::move(code);
  e.detail = std::move(detail);
  return error_response(e);
}

std::string ttl_range_problem(const char* field, std::uint64_t v) {
  if (v < static_cast<std::uint64_t>(min_lease_ttl_ms) ||
      v > static_cast<std::uint64_t>(max_lease_ttl_ms))
    return std::string(field) + " must be in 1000..=3600000";
  return {};
}

// Body fields shared by acquire and the reference claim.
struct dispatch_body {
  std::string lane_id;
  std::string worker_instance_id;
  std::vector<std::string> capabilities;
  std::uint64_t lease_ttl_ms = static_cast<std::uint64_t>(default_lease_ttl_ms);
  std::uint64_t grant_ttl_ms = 0;
  std::uint64_t wait_ms = 0;
};

// Shape, then the checks of rest-api.md §3.14 in its order (worker_id,
// worker_instance_id, lane_id, then the route's ttl), then wait_ms and the
// capability tokens.
decoded<dispatch_request> decode_dispatch(const route_params& path, const rapidjson::Value& body,
                                          bool grant_only) {
  field_reader r(body);
  dispatch_body b;
  r.string("lane_id", b.lane_id, true);
  r.string("worker_instance_id", b.worker_instance_id, true);
  r.string_array("capabilities", b.capabilities, false);
  if (grant_only) r.integer("grant_ttl_ms", b.grant_ttl_ms, true);
  else r.integer("lease_ttl_ms", b.lease_ttl_ms, false);
  r.integer("wait_ms", b.wait_ms, false);
  if (!r.ok()) return failed<dispatch_request>(unprocessable_json(r.error()));

  dispatch_request req;
  http_response error;
  if (!path_worker_id(path, req.worker_id, error)) return failed<dispatch_request>(error);
  if (auto p = identifier_problem("worker_instance_id", b.worker_instance_id); !p.empty())
    return failed<dispatch_request>(bad_request(p));
  if (auto p = lane_id_problem(b.lane_id); !p.empty())
    return failed<dispatch_request>(bad_request("lane_id: " + p));
  if (grant_only) {
    if (b.grant_ttl_ms < 1 || b.grant_ttl_ms > static_cast<std::uint64_t>(max_grant_ttl_ms))
      return failed<dispatch_request>(bad_request("grant_ttl_ms must be in 1..=60000"));
    req.grant_ttl_ms = static_cast<std::int64_t>(b.grant_ttl_ms);
  } else {
    if (auto p = ttl_range_problem("lease_ttl_ms", b.lease_ttl_ms); !p.empty())
      return failed<dispatch_request>(bad_request(p));
    req.lease_ttl_ms = static_cast<std::int64_t>(b.lease_ttl_ms);
  }
  if (b.wait_ms > max_wait_ms)
    return failed<dispatch_request>(bad_request("wait_ms exceeds 30000ms ceiling"));
  auto caps = worker_capabilities_csv(std::move(b.capabilities));
  if (!caps) return failed<dispatch_request>(error_response(caps.error()));

  req.lane_id = std::move(b.lane_id);
  req.worker_instance_id = std::move(b.worker_instance_id);
  req.worker_capabilities = std::move(*caps);
  req.wait_ms = static_cast<std::uint32_t>(b.wait_ms);
  decoded<dispatch_request> out;
  out.args = std::move(req);
  return out;
}

// Shape of a lease-holder body is read by `read_rest`; then the path id.
template <class Args, class ReadRest>
decoded<on_partition<Args>> decode_fenced(const route_params& path, const rapidjson::Value& body,
                                          ReadRest read_rest) {
  using result = on_partition<Args>;
  field_reader r(body);
  result out;
  read_fence(r, out.args.fence);
  read_rest(r, out.args);
  if (!r.ok()) return failed<result>(unprocessable_json(r.error()));
  execution_id id;
  http_response error;
  if (!path_execution_id(path, id, error)) return failed<result>(error);
  out.partition = id.partition;
  out.args.execution_id = std::move(id.value);
  decoded<result> d;
  d.args = std::move(out);
  return d;
}

// A waitpoint key named by the client: non-empty and bounded, since it is
// stored and echoed in every listing. Empty when fine, else the problem.
std::string waitpoint_key_problem(const std::string& at, const std::string& key) {
  if (key.empty()) return at + ": must not be empty";
  if (key.size() > max_waitpoint_key_bytes)
    return at + ": exceeds " + std::to_string(max_waitpoint_key_bytes) + " bytes";
  return {};
}

// A relative duration from the body as an absolute epoch-ms deadline; the
// range check keeps now + ms far from overflow.
std::string duration_problem(const char* field, std::uint64_t ms) {
  if (ms < 1 || ms > static_cast<std::uint64_t>(max_wait_duration_ms))
    return std::string(field) + " must be in 1..=" + std::to_string(max_wait_duration_ms);
  return {};
}

void write_u64(json_writer& w, std::string_view key, std::uint64_t v) {
  write_key(w, key);
  w.Uint64(v);
}

void write_signals(json_writer& w, const std::vector<delivered_signal>& signals) {
  w.StartArray();
  for (const auto& s : signals) {
    w.StartObject();
    write_key(w, "signal_id");
    write_string(w, s.signal_id);
    write_key(w, "signal_name");
    write_string(w, s.signal_name);
    write_key(w, "source_identity");
    write_string(w, s.source_identity);
    write_key(w, "payload");
    write_byte_array(w, s.payload);
    w.EndObject();
  }
  w.EndArray();
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

std::string finish(rapidjson::StringBuffer& buf) {
  return std::string(buf.GetString(), buf.GetSize());
}

} // namespace

decoded<dispatch_request> decode_acquire(const route_params& path, const rapidjson::Value& body) {
  return decode_dispatch(path, body, false);
}

decoded<dispatch_request> decode_claim_grant(const route_params& path,
                                             const rapidjson::Value& body) {
  return decode_dispatch(path, body, true);
}

decoded<register_worker_args> decode_heartbeat(const route_params& path,
                                               const rapidjson::Value& body, std::int64_t now) {
  field_reader r(body);
  register_worker_args args;
  std::vector<std::string> caps;
  std::uint64_t ttl = static_cast<std::uint64_t>(args.ttl_ms);
  r.string("worker_instance_id", args.worker_instance_id, true);
  r.string("namespace", args.namespace_name, false);
  r.string_array("lanes", args.lanes, false);
  r.string_array("capabilities", caps, false);
  r.integer("ttl_ms", ttl, false);
  if (!r.ok()) return failed<register_worker_args>(unprocessable_json(r.error()));

  http_response error;
  if (!path_worker_id(path, args.worker_id, error)) return failed<register_worker_args>(error);
  if (auto p = identifier_problem("worker_instance_id", args.worker_instance_id); !p.empty())
    return failed<register_worker_args>(bad_request(p));
  if (args.namespace_name.empty())
    return failed<register_worker_args>(bad_request("namespace: must not be empty"));
  for (std::size_t i = 0; i < args.lanes.size(); ++i)
    if (auto p = lane_id_problem(args.lanes[i]); !p.empty())
      return failed<register_worker_args>(
          bad_request("lanes[" + std::to_string(i) + "]: " + p));
  if (auto p = ttl_range_problem("ttl_ms", ttl); !p.empty())
    return failed<register_worker_args>(bad_request(p));
  auto csv = worker_capabilities_csv(std::move(caps));
  if (!csv) return failed<register_worker_args>(error_response(csv.error()));
  std::sort(args.lanes.begin(), args.lanes.end());
  args.lanes.erase(std::unique(args.lanes.begin(), args.lanes.end()), args.lanes.end());
  args.capabilities = std::move(*csv);
  args.ttl_ms = static_cast<std::int64_t>(ttl);
  args.now_ms = now;
  decoded<register_worker_args> out;
  out.args = std::move(args);
  return out;
}

decoded<on_partition<claim_execution_args>> decode_claim_execution(const route_params& path,
                                                                   const rapidjson::Value& body) {
  using result = on_partition<claim_execution_args>;
  field_reader r(body);
  result out;
  auto& a = out.args;
  std::uint64_t ttl = static_cast<std::uint64_t>(default_lease_ttl_ms);
  r.string("worker_id", a.worker_id, true);
  r.string("worker_instance_id", a.worker_instance_id, true);
  r.string("lane_id", a.lane_id, true);
  r.integer("lease_ttl_ms", ttl, false);
  if (!r.ok()) return failed<result>(unprocessable_json(r.error()));

  // The order of the reclaim route (rest-api.md §3.13).
  execution_id id;
  http_response error;
  if (!path_execution_id(path, id, error)) return failed<result>(error);
  if (auto p = identifier_problem("worker_id", a.worker_id); !p.empty())
    return failed<result>(bad_request(p));
  if (auto p = identifier_problem("worker_instance_id", a.worker_instance_id); !p.empty())
    return failed<result>(bad_request(p));
  if (auto p = lane_id_problem(a.lane_id); !p.empty())
    return failed<result>(bad_request("lane_id: " + p));
  if (auto p = ttl_range_problem("lease_ttl_ms", ttl); !p.empty())
    return failed<result>(bad_request(p));
  a.lease_ttl_ms = static_cast<std::int64_t>(ttl);
  a.execution_id = id.value;
  out.partition = id.partition;
  decoded<result> d;
  d.args = std::move(out);
  return d;
}

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

decoded<on_partition<std::vector<append_frame_args>>> decode_append_frames(
    const route_params& path, std::uint32_t path_index, const rapidjson::Value& body) {
  using result = on_partition<std::vector<append_frame_args>>;
  // One fenced template, then one copy per frame.
  struct batch {
    std::string execution_id;
    lease_fence fence;
    std::vector<append_frame_args> frames;
  };
  auto d = decode_fenced<batch>(path, body, [&](field_reader& r, batch& b) {
    const rapidjson::Value* frames = r.find("frames");
    if (!frames) return r.fail("frames", "missing required field");
    if (!frames->IsArray()) return r.fail("frames", "expected an array of frame objects");
    for (rapidjson::SizeType i = 0; i < frames->Size() && r.ok(); ++i) {
      const auto& f = (*frames)[i];
      std::string at = "frames[" + std::to_string(i) + "]";
      if (!f.IsObject()) return r.fail(at, "expected an object");
      field_reader fr(f, at + ".");
      append_frame_args a;
      fr.string("frame_type", a.frame_type, true);
      fr.string("data", a.payload, true);
      fr.string("encoding", a.encoding, false);
      if (fr.string("mode", a.mode, false) && a.mode != "durable" && a.mode != "best_effort")
        fr.fail("mode", "expected \"durable\" or \"best_effort\"");
      fr.string("correlation_id", a.correlation_id, false);
      if (const auto* patch = fr.find("summary_patch")) {
        if (!patch->IsObject()) fr.fail("summary_patch", "expected a JSON object");
        else a.summary_patch = to_json(*patch);
      }
      adopt_failure(r, fr);
      b.frames.push_back(std::move(a));
    }
  });
  if (!d) return failed<result>(std::move(d.error));

  auto& b = d.args->args;
  if (b.fence.attempt_index != path_index)
    return failed<result>(bad_request("path idx does not match body attempt_index"));
  if (b.frames.empty() || b.frames.size() > max_frames_per_append)
    return failed<result>(bad_request("frames must hold 1..=64 entries (got " +
                                      std::to_string(b.frames.size()) + ")"));
  for (std::size_t i = 0; i < b.frames.size(); ++i) {
    std::string at = "frames[" + std::to_string(i) + "]";
    if (b.frames[i].frame_type.empty())
      return failed<result>(validation_failure("invalid_frame_type", at + ".frame_type is empty"));
    // Checked up front so a batch is not cut short by a frame the store
    // would refuse (retention_limit_exceeded).
    if (b.frames[i].payload.size() > default_max_frame_payload_bytes)
      return failed<result>(validation_failure(
          "retention_limit_exceeded",
          at + ".data exceeds " + std::to_string(default_max_frame_payload_bytes) + " bytes"));
  }

  result out;
  out.partition = d.args->partition;
  for (auto& f : b.frames) {
    f.execution_id = b.execution_id;
    f.fence = b.fence;
    out.args.push_back(std::move(f));
  }
  decoded<result> r;
  r.args = std::move(out);
  return r;
}

decoded<on_partition<suspend_args>> decode_suspend(const route_params& path,
                                                   const rapidjson::Value& body,
                                                   std::int64_t now_ms) {
  using result = on_partition<suspend_args>;
  const rapidjson::Value* condition = nullptr;
  std::uint64_t timeout_ms = 0;
  bool has_timeout = false, has_reason = false;
  std::vector<bool> key_given; // per entry: waitpoint_key was present
  auto d = decode_fenced<suspend_args>(path, body, [&](field_reader& r, suspend_args& a) {
    has_reason = r.string("reason_code", a.reason_code, false);
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
        key_given.push_back(has_key);
        a.waitpoints.push_back(std::move(wp));
      }
    }
    condition = r.find("resume_condition");
    if (!condition) r.fail("resume_condition", "missing required field");
    else if (!condition->IsObject()) r.fail("resume_condition", "expected a JSON object");
    has_timeout = r.integer("timeout_ms", timeout_ms, false);
    r.string("timeout_behavior", a.timeout_behavior, false);
    r.string("idempotency_key", a.idempotency_key, false);
  });
  if (!d) return d;

  auto& a = d.args->args;
  if (has_reason && a.reason_code.empty())
    return failed<result>(bad_request("reason_code must not be empty"));
  if (a.waitpoints.empty() || a.waitpoints.size() > max_waitpoints_per_suspension)
    return failed<result>(bad_request("waitpoints must hold 1..=16 entries (got " +
                                      std::to_string(a.waitpoints.size()) + ")"));
  std::vector<std::string> fresh_keys;
  std::set<std::string> seen_keys, seen_ids;
  bool activates_pending = false;
  for (std::size_t i = 0; i < a.waitpoints.size(); ++i) {
    auto& wp = a.waitpoints[i];
    std::string at = "waitpoints[" + std::to_string(i) + "]";
    if (key_given[i] && wp.activate_pending)
      return failed<result>(
          bad_request(at + ": give either waitpoint_key (fresh) or waitpoint_id (pending)"));
    if (wp.activate_pending) {
      activates_pending = true;
      if (!seen_ids.insert(wp.waitpoint_id).second)
        return failed<result>(bad_request(at + ".waitpoint_id: duplicate waitpoint_id"));
      continue;
    }
    if (!key_given[i]) continue; // the node names it "wpk:<id>"
    if (auto p = waitpoint_key_problem(at + ".waitpoint_key", wp.waitpoint_key); !p.empty())
      return failed<result>(bad_request(p));
    if (!seen_keys.insert(wp.waitpoint_key).second)
      return failed<result>(bad_request(at + ".waitpoint_key: duplicate key '" +
                                        wp.waitpoint_key + "'"));
    fresh_keys.push_back(wp.waitpoint_key);
  }
  if (has_timeout) {
    if (auto p = duration_problem("timeout_ms", timeout_ms); !p.empty())
      return failed<result>(bad_request(p));
    a.timeout_at = now_ms + static_cast<std::int64_t>(timeout_ms);
  }
  if (!is_valid_timeout_behavior(a.timeout_behavior))
    return failed<result>(bad_request(
        "timeout_behavior must be one of fail, cancel, expire, auto_resume, escalate"));
  // The keys of activated pending waitpoints are only known to the store,
  // which then checks the condition's keys itself.
  std::string raw = to_json(*condition);
  auto normalized = parse_resume_condition(raw, fresh_keys, !activates_pending);
  if (!normalized) return failed<result>(error_response(normalized.error()));
  rapidjson::Document cond_doc;
  if (parse_json_text(*normalized, cond_doc, nullptr) && cond_doc.IsObject()) {
    auto type = cond_doc.FindMember("type");
    if (type != cond_doc.MemberEnd() && type->value.IsString() &&
        std::string_view(type->value.GetString()) == "timeout_only" && !has_timeout)
      return failed<result>(bad_request("resume_condition: timeout_only requires timeout_ms"));
  }
  a.resume_condition_json = std::move(*normalized);
  return d;
}

decoded<on_partition<create_pending_waitpoint_args>> decode_create_pending_waitpoint(
    const route_params& path, const rapidjson::Value& body, std::int64_t now_ms) {
  using result = on_partition<create_pending_waitpoint_args>;
  std::uint64_t expires_in = 0;
  bool has_key = false, has_expiry = false;
  auto d = decode_fenced<create_pending_waitpoint_args>(
      path, body, [&](field_reader& r, create_pending_waitpoint_args& a) {
        has_key = r.string("waitpoint_key", a.waitpoint_key, false);
        has_expiry = r.integer("expires_in_ms", expires_in, false);
      });
  if (!d) return d;
  auto& a = d.args->args;
  if (has_key)
    if (auto p = waitpoint_key_problem("waitpoint_key", a.waitpoint_key); !p.empty())
      return failed<result>(bad_request(p));
  if (has_expiry) {
    if (auto p = duration_problem("expires_in_ms", expires_in); !p.empty())
      return failed<result>(bad_request(p));
    a.expires_at = now_ms + static_cast<std::int64_t>(expires_in);
  }
  return d;
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

std::string encode_claimed_lease(const claimed_lease& l) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  auto field = [&](std::string_view key, std::string_view value) {
    write_key(w, key);
    write_string(w, value);
  };
  w.StartObject();
  field("execution_id", l.execution_id);
  write_u64(w, "attempt_index", l.attempt_index);
  field("attempt_id", l.attempt_id);
  field("attempt_type", l.attempt_type);
  field("lease_id", l.lease_id);
  write_u64(w, "lease_epoch", l.lease_epoch);
  write_key(w, "lease_expires_at");
  w.Int64(l.lease_expires_at);
  field("lane_id", l.lane_id);
  field("execution_kind", l.execution_kind);
  // Bytes as an array of integers, like create's input (rest-api.md §1.2).
  write_key(w, "input_payload");
  write_byte_array(w, l.input_payload);
  write_key(w, "payload_encoding");
  if (l.payload_encoding.empty()) w.Null();
  else write_string(w, l.payload_encoding);
  write_key(w, "tags");
  w.StartObject();
  for (const auto& [k, v] : l.tags) field(k, v);
  w.EndObject();
  // The stored policy, embedded as an object; anything unreadable reads as
  // "no policy" rather than failing a lease the worker already holds.
  write_key(w, "policy");
  rapidjson::Document policy;
  if (!l.policy_json.empty() && parse_json_text(l.policy_json, policy, nullptr) &&
      policy.IsObject()) {
    policy.Accept(w);
  } else {
    w.StartObject();
    w.EndObject();
  }
  // Always present, so a worker reads one shape whatever the attempt type.
  write_key(w, "signals");
  write_signals(w, l.signals);
  w.EndObject();
  return finish(buf);
}

std::string encode_suspend_outcome(const suspend_outcome& o) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "suspension_id");
  write_string(w, o.suspension_id);
  write_key(w, "status");
  write_string(w, o.status);
  write_key(w, "waitpoints");
  w.StartArray();
  for (const auto& b : o.waitpoints) write_binding(w, b);
  w.EndArray();
  // The worker keeps its lease and goes on with these instead of resuming.
  if (o.status == "already_satisfied") {
    write_key(w, "signals");
    write_signals(w, o.signals);
  }
  w.EndObject();
  return finish(buf);
}

std::string encode_waitpoint_binding(const waitpoint_binding& b) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  write_binding(w, b);
  return finish(buf);
}

std::string encode_claim_grant(const claim_grant& g) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "execution_id");
  write_string(w, g.execution_id);
  write_key(w, "partition_key");
  write_string(w, g.partition_key);
  write_key(w, "grant_key");
  write_string(w, g.grant_key);
  write_key(w, "expires_at_ms");
  w.Uint64(g.expires_at_ms < 0 ? 0 : static_cast<std::uint64_t>(g.expires_at_ms));
  w.EndObject();
  return finish(buf);
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
  return finish(buf);
}

std::string encode_fail_outcome(const fail_outcome& o) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "outcome");
  write_string(w, o.outcome);
  if (o.outcome == "retry_scheduled") {
    write_key(w, "retry_at");
    w.Int64(o.retry_at);
  }
  w.EndObject();
  return finish(buf);
}

std::string encode_worker_liveness(const worker_liveness& l) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "status");
  write_string(w, l.status);
  write_key(w, "next_expiry_ms");
  w.Int64(l.next_expiry_ms);
  w.EndObject();
  return finish(buf);
}

std::string encode_appended_frames(const std::vector<append_frame_outcome>& appended) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "appended");
  w.StartArray();
  std::uint64_t frame_count = 0, summary_version = 0;
  for (const auto& a : appended) {
    w.StartObject();
    write_key(w, "id");
    write_string(w, a.entry_id);
    w.EndObject();
    frame_count = a.frame_count;
    // Frames without a patch report 0; the batch reports the latest version.
    summary_version = std::max(summary_version, a.summary_version);
  }
  w.EndArray();
  write_u64(w, "frame_count", frame_count);
  write_u64(w, "summary_version", summary_version);
  w.EndObject();
  return finish(buf);
}

} // namespace ff
