// Attempt output streams on Valkey (execution-model.md §8): append and range
// read are FCALLs of lua/stream.lua; the tail is a plain XREAD BLOCK, which a
// function cannot run.

#include <algorithm>
#include <cctype>

#include "backends/valkey/function_call.hpp"
#include "backends/valkey/keys.hpp"
#include "backends/valkey/reply_parse.hpp"
#include "backends/valkey/valkey_backend_impl.hpp"

namespace ff {

namespace k = valkey_keys;
using valkey_detail::field_reader;

namespace {

constexpr std::uint32_t max_tail_block_ms = 30'000;
constexpr std::uint32_t max_stream_count = 10'000;
// How much longer than its BLOCK time a tail waits for the reply.
constexpr std::chrono::milliseconds tail_reply_margin{5'000};

// The bytes of a string reply, NULs included (frames carry binary data).
const std::string& value_text(const redis_value& v) {
  static const std::string none;
  return v.is_string() ? v.str : none;
}

// One stream entry `[id, [field, value, ...]]`.
bool parse_entry(const redis_value& v, stream_frame& out) {
  if (v.kind != redis_value::type::array || v.elements.size() != 2 ||
      !v.elements[0].is_string() || v.elements[1].kind != redis_value::type::array)
    return false;
  out.id = v.elements[0].str;
  const auto& fields = v.elements[1].elements;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
    out.fields[value_text(fields[i])] = value_text(fields[i + 1]);
  return true;
}

// Sets closed_at / closed_reason from an `HMGET meta closed_at closed_reason` reply.
bool parse_closed(const redis_value& v, stream_frames& out) {
  if (v.kind != redis_value::type::array || v.elements.size() != 2)
    return false;
  if (!parse_int(value_text(v.elements[0]), out.closed_at))
    return false;
  out.closed_reason = value_text(v.elements[1]);
  return true;
}

// `<ms>` or `<ms>-<seq>`, digits only: what XREAD accepts as an exclusive start.
bool is_concrete_entry_id(const std::string& id) {
  const auto dash = id.find('-');
  auto digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(),
                                     [](unsigned char c) { return std::isdigit(c) != 0; });
  };
  if (dash == std::string::npos)
    return digits(id);
  return digits(std::string_view(id).substr(0, dash)) &&
         digits(std::string_view(id).substr(dash + 1));
}

} // namespace

expected<append_frame_outcome> valkey_backend::append_frame(const append_frame_args& a) {
  if (a.fence.empty())
    return classify_store_error("fence_required", "");
  const std::string& eid = a.execution_id.value;
  const std::uint32_t idx = a.fence.attempt_index;
  std::vector<std::string> keys = {k::exec_core_key(eid), k::exec_policy_key(eid),
                                   k::stream_key(eid, idx), k::stream_meta_key(eid, idx),
                                   k::attempt_summary_key(eid, idx)};
  std::vector<std::string> args = {eid,
                                   std::to_string(idx),
                                   a.fence.lease_id,
                                   std::to_string(a.fence.lease_epoch),
                                   a.fence.attempt_id,
                                   a.frame_type,
                                   valkey_detail::optional_number(a.ts),
                                   a.payload,
                                   a.encoding,
                                   a.correlation_id,
                                   a.source,
                                   a.mode,
                                   a.summary_patch,
                                   std::to_string(a.retention_maxlen),
                                   std::to_string(a.max_payload_bytes),
                                   valkey_detail::optional_number(a.ttl_ms)};
  auto env = call_function(conn_, "ff_append_frame", keys, args);
  if (!env)
    return std::move(env).error();
  append_frame_outcome out;
  field_reader r(*env, "ff_append_frame");
  out.entry_id = r.text(0);
  r.integer(1, out.frame_count);
  r.integer(2, out.summary_version);
  if (!r.ok())
    return r.error();
  return out;
}

expected<stream_frames> valkey_backend::read_attempt_stream(const read_stream_args& a) {
  const std::string& eid = a.execution_id.value;
  std::vector<std::string> keys = {k::exec_core_key(eid), k::stream_key(eid, a.attempt_index),
                                   k::stream_meta_key(eid, a.attempt_index)};
  std::vector<std::string> args = {eid,
                                   std::to_string(a.attempt_index),
                                   a.from,
                                   a.to,
                                   std::to_string(a.count),
                                   a.exclude_best_effort ? "exclude_best_effort" : ""};
  auto env = call_function(conn_, "ff_read_attempt_stream", keys, args, call_mode::read_only);
  if (!env)
    return std::move(env).error();
  stream_frames out;
  field_reader r(*env, "ff_read_attempt_stream");
  r.integer(0, out.closed_at);
  if (!r.ok())
    return r.error();
  out.closed_reason = env->field(1);
  for (std::size_t i = 2; i < env->fields.size(); ++i) {
    stream_frame frame;
    if (!parse_entry(env->fields[i], frame))
      return engine_error::internal("ff_read_attempt_stream: malformed entry");
    out.frames.push_back(std::move(frame));
  }
  return out;
}

expected<stream_frames> valkey_backend::tail_attempt_stream(const tail_stream_args& a) {
  if (a.block_ms > max_tail_block_ms)
    return engine_error::invalid_input("block_ms exceeds 30000ms ceiling");
  if (a.count == 0 || a.count > max_stream_count)
    return engine_error::invalid_input("count must be in 1..10000");
  if (!is_concrete_entry_id(a.after_id))
    return engine_error::invalid_input(
        "after: XREAD cursor must be a concrete entry id; pass '0-0' to start from the "
        "beginning");
  const std::string& eid = a.execution_id.value;
  const std::string stream = k::stream_key(eid, a.attempt_index);
  const std::string meta = k::stream_meta_key(eid, a.attempt_index);
  const std::string count = std::to_string(a.count);

  auto read = [&](const redis_value& xread, stream_frames& out) -> bool {
    if (xread.kind == redis_value::type::nil)
      return true; // nothing new before the block ran out
    if (xread.kind != redis_value::type::array)
      return false;
    for (const auto& per_stream : xread.elements) {
      if (per_stream.kind != redis_value::type::array || per_stream.elements.size() != 2)
        return false;
      for (const auto& entry : per_stream.elements[1].elements) {
        stream_frame frame;
        if (!parse_entry(entry, frame))
          return false;
        out.frames.push_back(std::move(frame));
      }
    }
    return true;
  };

  // First a non-blocking look: new frames or a closed stream answer at
  // once. A stream never written (of an execution that may not exist)
  // reads as empty and open, so the tail waits it out (rest-api.md §3.16).
  auto first = conn_.pipeline({{"HMGET", meta, "closed_at", "closed_reason"},
                               {"XREAD", "COUNT", count, "STREAMS", stream, a.after_id}});
  if (!first)
    return std::move(first).error();
  for (const auto& reply : *first)
    if (reply.is_error())
      return classify_redis_error_reply("stream tail", reply.str);
  stream_frames out;
  if (!parse_closed((*first)[0], out) || !read((*first)[1], out))
    return engine_error::internal("stream tail: malformed reply");
  if (!out.frames.empty() || out.closed_at != 0 || a.block_ms == 0)
    return out;

  const auto saved_timeout = conn_.options().command_timeout;
  const auto needed = std::chrono::milliseconds(a.block_ms) + tail_reply_margin;
  if (needed > saved_timeout)
    conn_.set_command_timeout(needed);
  const std::string block = std::to_string(a.block_ms);
  auto blocked = conn_.command(
      {"XREAD", "COUNT", count, "BLOCK", block, "STREAMS", stream, a.after_id});
  if (needed > saved_timeout)
    conn_.set_command_timeout(saved_timeout);
  if (!blocked)
    return std::move(blocked).error();
  if (blocked->is_error())
    return classify_redis_error_reply("XREAD", blocked->str);
  if (!read(*blocked, out))
    return engine_error::internal("stream tail: malformed XREAD reply");

  auto closed = conn_.command({"HMGET", meta, "closed_at", "closed_reason"});
  if (!closed)
    return std::move(closed).error();
  if (closed->is_error())
    return classify_redis_error_reply("HMGET", closed->str);
  if (!parse_closed(*closed, out))
    return engine_error::internal("stream tail: malformed meta reply");
  return out;
}

} // namespace ff
