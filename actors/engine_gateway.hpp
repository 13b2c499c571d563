#pragma once
// The HTTP layer's only view of the actor system: asynchronous operations
// that complete through a callback. No CAF header is included here, so the
// Beast translation units stay free of CAF and the other way round.
//
// Callbacks run on an actor thread; the caller must hop back to its own
// executor (the HTTP session posts to its strand) and must not block.

#include <cstdint>
#include <functional>
#include <string>

#include "core/execution.hpp"
#include "core/expected.hpp"

namespace ff {

class engine_gateway {
public:
  template <class T>
  using callback = std::function<void(expected<T>)>;

  virtual ~engine_gateway() = default;

  virtual std::uint16_t flow_partitions() const = 0;

  virtual void create_execution(create_execution_args args,
                                callback<create_execution_outcome> done) = 0;
  virtual void get_execution(std::string execution_id, std::uint16_t partition,
                             callback<execution_info> done) = 0;
  virtual void get_execution_state(std::string execution_id, std::uint16_t partition,
                                   callback<std::string> done) = 0;
  virtual void get_execution_result(std::string execution_id, std::uint16_t partition,
                                    callback<execution_result> done) = 0;
  virtual void list_executions(list_executions_args args, callback<execution_page> done) = 0;
  // Store liveness for /healthz.
  virtual void ping(callback<unit> done) = 0;
};

} // namespace ff
