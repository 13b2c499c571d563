#include "http/codecs/stream_read_codec.hpp"

#include "http/json_codec.hpp"

namespace ff {

namespace {

bool all_digits_u64(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return parse_decimal(s, v);
}

std::string cursor_problem(const char* name, const std::string& value) {
  return std::string(name) + ": invalid stream cursor `" + echo_input(value) +
         "` (expected start, end, <ms> or <ms>-<seq>)";
}

// The first occurrence of each wanted key (later repeats are ignored).
struct query_values {
  std::optional<std::string> a, b, c;
};

std::optional<query_values> pick(std::string_view query, const char* ka, const char* kb,
                                 const char* kc) {
  auto pairs = parse_query(query);
  if (!pairs) return std::nullopt;
  query_values out;
  for (auto& [key, value] : *pairs) {
    if (key == ka && !out.a) out.a = value;
    else if (key == kb && !out.b) out.b = value;
    else if (key == kc && !out.c) out.c = value;
  }
  return out;
}

} // namespace

std::optional<stream_cursor> parse_stream_cursor(std::string_view text) {
  if (text == "start") return stream_cursor{cursor_form::start, {}};
  if (text == "end") return stream_cursor{cursor_form::end, {}};
  auto dash = text.find('-');
  bool ok = dash == std::string_view::npos
                ? all_digits_u64(text)
                : all_digits_u64(text.substr(0, dash)) && all_digits_u64(text.substr(dash + 1));
  if (!ok) return std::nullopt;
  return stream_cursor{cursor_form::concrete, std::string(text)};
}

decoded<on_partition<read_stream_args>> decode_read_stream(const route_params& path,
                                                           std::string_view query) {
  using result = on_partition<read_stream_args>;
  result out;
  auto& a = out.args;
  http_response error;
  if (!path_attempt_index(path, a.attempt_index, error)) return failed<result>(error);

  auto q = pick(query, "from", "to", "limit");
  if (!q) return failed<result>(query_error("malformed percent-encoding"));
  // start / end become the XRANGE markers; the raw markers are internal.
  auto cursor = [](const std::optional<std::string>& v, const char* dflt,
                   std::string& to) -> bool {
    if (!v) {
      to = dflt;
      return true;
    }
    auto c = parse_stream_cursor(*v);
    if (!c) return false;
    to = c->form == cursor_form::start ? "-" : c->form == cursor_form::end ? "+" : c->id;
    return true;
  };
  if (!cursor(q->a, "-", a.from))
    return failed<result>(query_error(cursor_problem("from", *q->a)));
  if (!cursor(q->b, "+", a.to)) return failed<result>(query_error(cursor_problem("to", *q->b)));
  std::uint64_t limit = 100;
  if (q->c && !parse_decimal(*q->c, limit))
    return failed<result>(query_error("limit: expected a non-negative integer (u64)"));

  if (limit == 0) return failed<result>(bad_request("limit must be >= 1"));
  if (limit > max_stream_rest_limit)
    return failed<result>(bad_request(
        "limit exceeds REST ceiling 1000; paginate via from/to for larger spans"));
  a.count = static_cast<std::uint32_t>(limit);

  execution_id id;
  if (!path_execution_id(path, id, error)) return failed<result>(error);
  a.execution_id = id;
  out.partition = id.partition;
  decoded<result> d;
  d.args = std::move(out);
  return d;
}

decoded<on_partition<tail_stream_args>> decode_tail_stream(const route_params& path,
                                                           std::string_view query) {
  using result = on_partition<tail_stream_args>;
  result out;
  auto& a = out.args;
  http_response error;
  if (!path_attempt_index(path, a.attempt_index, error)) return failed<result>(error);

  auto q = pick(query, "after", "block_ms", "limit");
  if (!q) return failed<result>(query_error("malformed percent-encoding"));
  std::optional<stream_cursor> after;
  if (q->a) {
    after = parse_stream_cursor(*q->a);
    if (!after) return failed<result>(query_error(cursor_problem("after", *q->a)));
  }
  std::uint64_t block_ms = 0, limit = 50;
  if (q->b && !parse_decimal(*q->b, block_ms))
    return failed<result>(query_error("block_ms: expected a non-negative integer (u64)"));
  if (q->c && !parse_decimal(*q->c, limit))
    return failed<result>(query_error("limit: expected a non-negative integer (u64)"));

  if (block_ms > max_tail_block_ms)
    return failed<result>(bad_request("block_ms exceeds 30000ms ceiling"));
  if (limit == 0) return failed<result>(bad_request("limit must be >= 1"));
  if (limit > max_stream_rest_limit)
    return failed<result>(
        bad_request("limit exceeds REST ceiling 1000; paginate via after for larger spans"));
  if (after && after->form != cursor_form::concrete)
    return failed<result>(bad_request("after: XREAD cursor must be a concrete entry id; pass "
                                      "'0-0' to start from the beginning"));
  a.after_id = after ? after->id : "0-0";
  a.block_ms = static_cast<std::uint32_t>(block_ms);
  a.count = static_cast<std::uint32_t>(limit);

  execution_id id;
  if (!path_execution_id(path, id, error)) return failed<result>(error);
  a.execution_id = id;
  out.partition = id.partition;
  decoded<result> d;
  d.args = std::move(out);
  return d;
}

std::string encode_stream_frames(const stream_frames& s) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "frames");
  w.StartArray();
  for (const auto& f : s.frames) {
    w.StartObject();
    write_key(w, "id");
    write_string(w, f.id);
    write_key(w, "fields");
    w.StartObject(); // std::map: sorted by field name
    for (const auto& [k, v] : f.fields) {
      write_key(w, k);
      // Payloads are whatever bytes the worker sent; keep the JSON valid.
      write_string(w, utf8_lossy(v));
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  write_key(w, "count");
  w.Uint64(s.frames.size());
  // Omitted while the stream is open or was never written (§2.5).
  if (s.closed_at != 0) {
    write_key(w, "closed_at");
    w.Int64(s.closed_at);
    write_key(w, "closed_reason");
    write_string(w, s.closed_reason);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

} // namespace ff
