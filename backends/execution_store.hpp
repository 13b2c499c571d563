#pragma once
// Executions: create, and the reads of one execution or of a partition's
// page of ids (valkey: valkey/valkey_backend.cpp). Part of engine_backend.

#include <string>

#include "core/execution.hpp"
#include "core/expected.hpp"

namespace ff {

class execution_store {
public:
  virtual ~execution_store() = default;

  virtual expected<create_execution_outcome> create_execution(const create_execution_args& args) = 0;
  // Every item's id is on one partition. The items go to the store in one
  // round trip; an error of the whole call (the store unreachable) leaves
  // each item created or not, so a retry relies on ids or idempotency keys.
  virtual expected<create_batch_outcome> create_executions(const create_batch_args& args) = 0;
  // Not found -> engine_error of kind not_found (code execution_not_found).
  virtual expected<execution_info> get_execution(const execution_id& id) = 0;
  virtual expected<std::string> get_execution_state(const execution_id& id) = 0;
  // found=false when the execution is missing, not completed, or trimmed.
  virtual expected<execution_result> get_execution_result(const execution_id& id) = 0;
  virtual expected<execution_page> list_executions(const list_executions_args& args) = 0;
};

} // namespace ff
