#pragma once
// Typed path parameters; failures are 400 JSON (decisions.md §2).

#include <string>

#include "core/ids.hpp"
#include "http/handler.hpp"
#include "http/json_codec.hpp"

namespace ff {

// The `{id}` execution id, or false after replying
// 400 `invalid execution_id: <reason>`.
inline bool path_execution_id(request_context& ctx, execution_id& out) {
  const route_param* p = ctx.params.find("id");
  if (!p || !p->decoded) {
    ctx.reply.send(bad_request("invalid execution_id: malformed percent-encoding"));
    return false;
  }
  auto id = execution_id::parse(p->value);
  if (!id) {
    ctx.reply.send(bad_request("invalid execution_id: " + id.error().text()));
    return false;
  }
  out = std::move(*id);
  return true;
}

} // namespace ff
