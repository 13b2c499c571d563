#pragma once
// Typed path parameters; failures are 400 JSON (decisions.md §2).

#include <utility>

#include "core/ids.hpp"
#include "http/handler.hpp"
#include "http/request_decoding.hpp"

namespace ff {

// The `{id}` execution id, or false after replying
// 400 `invalid execution_id: <reason>`.
inline bool path_execution_id(request_context& ctx, execution_id& out) {
  http_response error;
  if (path_execution_id(ctx.params, out, error)) return true;
  ctx.reply.send(std::move(error));
  return false;
}

} // namespace ff
