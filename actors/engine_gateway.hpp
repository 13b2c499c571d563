#pragma once
// The HTTP layer's only view of the actor system: asynchronous operations
// that complete through a callback. No CAF header is included here, so the
// Beast translation units stay free of CAF and the other way round.
//
// Callbacks run on an actor thread; the caller must hop back to its own
// executor (the HTTP session posts to its strand) and must not block.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backends/operations.hpp"
#include "core/execution.hpp"
#include "core/lease.hpp"
#include "core/stream.hpp"
#include "core/suspension.hpp"
#include "core/worker.hpp"
#include "core/expected.hpp"

namespace ff {

// The answer of a secret rotation over every flow partition.
struct rotation_report {
  std::uint32_t rotated = 0;          // partitions rotated or already on the new kid
  std::vector<std::uint16_t> failed;  // partitions that refused or did not answer
  std::string new_kid;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rotation_report& x) {
  return f(x.rotated, x.failed, x.new_kid);
}

// An operation on its way through the gateway, its type erased so that the
// HTTP layer needs no CAF header: the implementation gets it back with
// visit_gateway_operation, which knows every operation from the catalogue.
struct gateway_operation {
  enum class route : std::uint8_t { operation, dispatch };
  virtual ~gateway_operation() = default;
  route via = route::operation;
  std::size_t index = 0;          // in backend_operations or lane_operations
  std::uint16_t partition = 0;    // partitioned operations only
};

template <class Op>
struct gateway_call final : gateway_operation {
  typename Op::args args;
  std::function<void(expected<typename Op::result>)> done;
};

// A worker's request run through its lane (acquire_next_in_lane or
// grant_next_in_lane on whichever partition has work).
template <class Op>
struct gateway_dispatch final : gateway_operation {
  dispatch_request request;
  std::function<void(expected<typename Op::result>)> done;
};

namespace detail {
template <template <class> class Pending, class... Ops, class F>
bool visit_as(gateway_operation& p, operation_list<Ops...>, F& f) {
  using list = operation_list<Ops...>;
  return ((p.index == operation_index<Ops, list>::value
             ? (f(static_cast<Pending<Ops>&>(p)), true)
             : false) ||
          ...);
}
} // namespace detail

// Calls f with the gateway_call<Op>& or gateway_dispatch<Op>& that `p` is.
template <class F>
void visit_gateway_operation(gateway_operation& p, F&& f) {
  if (p.via == gateway_operation::route::operation)
    detail::visit_as<gateway_call>(p, backend_operations{}, f);
  else
    detail::visit_as<gateway_dispatch>(p, lane_operations{}, f);
}

class engine_gateway {
public:
  template <class T>
  using callback = std::function<void(expected<T>)>;

  virtual ~engine_gateway() = default;

  virtual std::uint16_t flow_partitions() const = 0;

  // Runs one operation of the catalogue (backends/operations.hpp) on the
  // partition that owns its execution.
  template <class Op>
  void call(std::uint16_t partition, op_args_t<Op> args, callback<op_result_t<Op>> done) {
    auto p = std::make_unique<gateway_call<Op>>();
    p->index = operation_index<Op, backend_operations>::value;
    p->partition = partition;
    p->args = std::move(args);
    p->done = std::move(done);
    submit(std::move(p));
  }

  // A node-wide operation (partition family none).
  template <class Op>
  void call(op_args_t<Op> args, callback<op_result_t<Op>> done) {
    static_assert(Op::family == partition_family::none, "name the partition");
    call<Op>(0, std::move(args), std::move(done));
  }

  // A worker's request for the next execution of its lane on any
  // partition. With wait_ms > 0 it parks in the lane until work arrives or
  // the wait ends (acquired / granted false: HTTP 204).
  template <class Op>
  void dispatch(dispatch_request request, callback<op_result_t<Op>> done) {
    auto p = std::make_unique<gateway_dispatch<Op>>();
    p->via = gateway_operation::route::dispatch;
    p->index = operation_index<Op, lane_operations>::value;
    p->request = std::move(request);
    p->done = std::move(done);
    submit(std::move(p));
  }

  // Store liveness for /healthz.
  virtual void ping(callback<unit> done) = 0;

  // Rotates the waitpoint secret on every flow partition, keeping the old
  // kid valid for FF_WAITPOINT_HMAC_GRACE_MS. One rotation at a time:
  // resource_exhausted ("admin_rotate", 1) while another runs.
  virtual void rotate_waitpoint_secret(std::string new_kid, std::string secret_hex,
                                       callback<rotation_report> done) = 0;

protected:
  // Runs or refuses the call; its callback is called exactly once.
  virtual void submit(std::unique_ptr<gateway_operation> call) = 0;
};

} // namespace ff
