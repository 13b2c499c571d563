#pragma once
// Small helpers shared by the valkey backend sources: argument encoding and
// reading typed fields out of a Lua reply envelope. Private to backends/.

#include <cstdint>
#include <string>

#include "backends/valkey/function_call.hpp"
#include "core/expected.hpp"
#include "core/ids.hpp"
#include "core/lease.hpp"
#include "core/validation.hpp"

namespace ff::valkey_detail {

// Reads integer field i of the envelope, or reports a malformed reply.
class field_reader {
public:
  field_reader(const lua_envelope& env, std::string op) : env_(env), op_(std::move(op)) {}

  std::string text(std::size_t i) const { return env_.field(i); }

  template <class Int>
  bool integer(std::size_t i, Int& out) {
    if (parse_int(env_.field(i), out))
      return true;
    if (bad_.empty())
      bad_ = "field " + std::to_string(i) + " is '" + env_.field(i) + "'";
    return false;
  }

  // Field i as one of E's names (core/enum_text.hpp).
  template <class E>
  bool enumerated(std::size_t i, E& out) {
    if (parse_enum(env_.field(i), out))
      return true;
    if (bad_.empty())
      bad_ = "field " + std::to_string(i) + " is '" + env_.field(i) + "'";
    return false;
  }

  bool ok() const { return bad_.empty(); }
  engine_error error() const {
    return engine_error::internal(op_ + ": malformed reply (" + bad_ + ")");
  }

private:
  const lua_envelope& env_;
  std::string op_;
  std::string bad_;
};

// The scanner reply of lua/scanner.lua: examined, changed, cleaned, failed,
// next_cursor, n, n (eid, lane) pairs, then (lane, count) pairs.
inline expected<scan_outcome> parse_scan_reply(const lua_envelope& env, std::string_view op) {
  scan_outcome out;
  field_reader r(env, std::string(op));
  std::size_t n = 0;
  r.integer(0, out.examined);
  r.integer(1, out.changed);
  r.integer(2, out.cleaned);
  r.integer(3, out.failed);
  out.next_cursor = r.text(4);
  r.integer(5, n);
  if (!r.ok())
    return r.error();
  std::size_t i = 6;
  if (env.fields.size() < i + 2 * n)
    return engine_error::internal(std::string(op) + ": short scanner reply");
  for (std::size_t j = 0; j < n; ++j, i += 2)
    out.became_eligible.push_back({env.field(i), env.field(i + 1)});
  for (; i + 1 < env.fields.size(); i += 2) {
    lane_count c;
    c.lane_id = env.field(i);
    if (!r.integer(i + 1, c.count))
      return r.error();
    out.eligible_by_lane.push_back(std::move(c));
  }
  return out;
}

// Optional numbers travel as "" when unset.
inline std::string optional_number(std::int64_t v) {
  return v == 0 ? std::string() : std::to_string(v);
}

} // namespace ff::valkey_detail
