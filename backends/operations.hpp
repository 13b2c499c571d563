#pragma once
// The operation catalogue: every engine operation, described once. A
// descriptor names the operation (the same word as its engine_backend
// method, its Lua function `ff_<name>`, its metric label and its gateway
// call), its argument and result types, the backend method it runs and the
// partition family it belongs to. The gateway, the actor messages, the
// partition actor and the backend actor are written once over these lists;
// adding an operation means adding a descriptor here and listing it.
//
// No CAF here: the HTTP layer uses the descriptors to call the gateway.

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "backends/engine_backend.hpp"
#include "core/scanners.hpp"

namespace ff {

// --- type lists -------------------------------------------------------------

template <class... Ops>
struct operation_list {
  static constexpr std::size_t size = sizeof...(Ops);
};

template <class Op>
struct op_tag {
  using type = Op;
};

template <class A, class B>
struct concat_operations;
template <class... As, class... Bs>
struct concat_operations<operation_list<As...>, operation_list<Bs...>> {
  using type = operation_list<As..., Bs...>;
};

// Position of Op in List (List::size when absent).
template <class Op, class List>
struct operation_index;
template <class Op>
struct operation_index<Op, operation_list<>> : std::integral_constant<std::size_t, 0> {};
template <class Op, class Head, class... Tail>
struct operation_index<Op, operation_list<Head, Tail...>>
    : std::integral_constant<std::size_t,
                             std::is_same<Op, Head>::value
                               ? 0
                               : 1 + operation_index<Op, operation_list<Tail...>>::value> {};

// Calls f(op_tag<Op>{}) for every operation of the list, in order.
template <class... Ops, class F>
void for_each_operation(operation_list<Ops...>, F&& f) {
  (f(op_tag<Ops>{}), ...);
}

// --- descriptors --------------------------------------------------------------

// A descriptor whose backend method takes the arguments as one struct:
// the argument and result types follow from the method.
template <auto Method>
struct backend_method;
template <class Store, class Result, class Args,
          expected<Result> (Store::*Method)(const Args&)>
struct backend_method<Method> {
  using args = Args;
  using result = Result;
  static expected<result> run(engine_backend& b, const args& a) { return (b.*Method)(a); }
};

// Arguments of the operations whose backend method takes several values.
struct waitpoint_ref {
  ff::execution_id execution_id;
  std::string waitpoint_id;
};
struct rotate_secret_args {
  std::uint16_t partition = 0;
  std::string new_kid;
  std::string secret_hex;
  std::int64_t grace_ms = 0;
};
struct count_eligible_args {
  std::uint16_t partition = 0;
  std::vector<std::string> lanes;
};
// A signal with the token the partition verifies before the store sees it.
struct signal_delivery {
  deliver_signal_args signal;
  std::string token;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, waitpoint_ref& x) {
  return f(x.execution_id, x.waitpoint_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rotate_secret_args& x) {
  return f(x.partition, x.new_kid, x.secret_hex, x.grace_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, count_eligible_args& x) {
  return f(x.partition, x.lanes);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, signal_delivery& x) {
  return f(x.signal, x.token);
}

namespace ops {

// The partition family, as a base of each descriptor.
struct per_execution {
  static constexpr partition_family family = partition_family::execution;
};
struct node_wide {
  static constexpr partition_family family = partition_family::none;
};

// Executions (core/execution.hpp).
struct create_execution : backend_method<&engine_backend::create_execution>, per_execution {
  static constexpr const char* name = "create_execution";
};
struct create_executions : backend_method<&engine_backend::create_executions>, per_execution {
  static constexpr const char* name = "create_executions";
};
struct get_execution : backend_method<&engine_backend::get_execution>, per_execution {
  static constexpr const char* name = "get_execution";
};
struct get_execution_state : backend_method<&engine_backend::get_execution_state>, per_execution {
  static constexpr const char* name = "get_execution_state";
};
struct get_execution_result : backend_method<&engine_backend::get_execution_result>, per_execution {
  static constexpr const char* name = "get_execution_result";
};
struct list_executions : backend_method<&engine_backend::list_executions>, per_execution {
  static constexpr const char* name = "list_executions";
};

// Leases and claims (core/lease.hpp).
struct acquire_next_in_lane : backend_method<&engine_backend::acquire_next_in_lane>, per_execution {
  static constexpr const char* name = "acquire_next_in_lane";
};
struct grant_next_in_lane : backend_method<&engine_backend::grant_next_in_lane>, per_execution {
  static constexpr const char* name = "grant_next_in_lane";
};
struct claim_execution : backend_method<&engine_backend::claim_execution>, per_execution {
  static constexpr const char* name = "claim_execution";
};
struct renew_lease : backend_method<&engine_backend::renew_lease>, per_execution {
  static constexpr const char* name = "renew_lease";
};
struct complete_execution : backend_method<&engine_backend::complete_execution>, per_execution {
  static constexpr const char* name = "complete_execution";
};
struct fail_execution : backend_method<&engine_backend::fail_execution>, per_execution {
  static constexpr const char* name = "fail_execution";
};
struct update_progress : backend_method<&engine_backend::update_progress>, per_execution {
  static constexpr const char* name = "update_progress";
};
struct cancel_execution : backend_method<&engine_backend::cancel_execution>, per_execution {
  static constexpr const char* name = "cancel_execution";
};
struct replay_execution : backend_method<&engine_backend::replay_execution>, per_execution {
  static constexpr const char* name = "replay_execution";
};
struct change_priority : backend_method<&engine_backend::change_priority>, per_execution {
  static constexpr const char* name = "change_priority";
};
struct revoke_lease : backend_method<&engine_backend::revoke_lease>, per_execution {
  static constexpr const char* name = "revoke_lease";
};
struct issue_reclaim_grant : backend_method<&engine_backend::issue_reclaim_grant>, per_execution {
  static constexpr const char* name = "issue_reclaim_grant";
};

// Attempt streams (core/stream.hpp).
struct append_frame : backend_method<&engine_backend::append_frame>, per_execution {
  static constexpr const char* name = "append_frame";
};
struct read_attempt_stream : backend_method<&engine_backend::read_attempt_stream>, per_execution {
  static constexpr const char* name = "read_attempt_stream";
};
// Blocks its connection up to block_ms: served by a backend actor of its own.
struct tail_attempt_stream : backend_method<&engine_backend::tail_attempt_stream>, per_execution {
  static constexpr const char* name = "tail_attempt_stream";
};

// Suspension, waitpoints and signals (core/suspension.hpp).
struct suspend_execution : backend_method<&engine_backend::suspend_execution>, per_execution {
  static constexpr const char* name = "suspend_execution";
};
struct create_pending_waitpoint : backend_method<&engine_backend::create_pending_waitpoint>, per_execution {
  static constexpr const char* name = "create_pending_waitpoint";
};
struct deliver_signal : per_execution {
  static constexpr const char* name = "deliver_signal";
  using args = signal_delivery;
  using result = deliver_signal_outcome;
  static expected<result> run(engine_backend& b, const args& a) {
    return b.deliver_signal(a.signal);
  }
};
struct list_pending_waitpoints : backend_method<&engine_backend::list_pending_waitpoints>, per_execution {
  static constexpr const char* name = "list_pending_waitpoints";
};
struct get_waitpoint_token : per_execution {
  static constexpr const char* name = "get_waitpoint_token";
  using args = waitpoint_ref;
  using result = std::string;
  static expected<result> run(engine_backend& b, const args& a) {
    return b.get_waitpoint_token(a.execution_id, a.waitpoint_id);
  }
};
struct rotate_waitpoint_hmac_secret : per_execution {
  static constexpr const char* name = "rotate_waitpoint_hmac_secret";
  using args = rotate_secret_args;
  using result = rotate_secret_outcome;
  static expected<result> run(engine_backend& b, const args& a) {
    return b.rotate_waitpoint_hmac_secret(a.partition, a.new_kid, a.secret_hex, a.grace_ms);
  }
};
struct get_waitpoint_hmac_ring : per_execution {
  static constexpr const char* name = "get_waitpoint_hmac_ring";
  using args = std::uint16_t; // the partition
  using result = hmac_ring;
  static expected<result> run(engine_backend& b, const args& p) {
    return b.get_waitpoint_hmac_ring(p);
  }
};

// Scanners and the boot rebuild of the lanes' ready sets.
struct run_scanner : per_execution {
  static constexpr const char* name = "run_scanner";
  using args = scanner_batch;
  using result = scan_outcome;
  static expected<result> run(engine_backend& b, const args& a) {
    switch (a.kind) {
      case scan_kind::expire_leases: return b.expire_leases(a.args);
      case scan_kind::promote_delayed: return b.promote_delayed(a.args);
      case scan_kind::expire_attempt_timeouts: return b.expire_attempt_timeouts(a.args);
      case scan_kind::expire_execution_deadlines: return b.expire_execution_deadlines(a.args);
      case scan_kind::trim_retention: return b.trim_retention(a.args);
      case scan_kind::reconcile_indexes: return b.reconcile_indexes(a.args);
      case scan_kind::expire_suspensions: return b.expire_suspensions(a.args);
      case scan_kind::expire_pending_waitpoints: return b.expire_pending_waitpoints(a.args);
    }
    return engine_error::internal("unknown scan kind");
  }
};
struct count_eligible : per_execution {
  static constexpr const char* name = "count_eligible";
  using args = count_eligible_args;
  using result = std::vector<lane_count>;
  static expected<result> run(engine_backend& b, const args& a) {
    return b.count_eligible(a.partition, a.lanes);
  }
};

// Node-wide: any connection serves them.
struct register_worker : backend_method<&engine_backend::register_worker>, node_wide {
  static constexpr const char* name = "register_worker";
};
struct ping : node_wide {
  static constexpr const char* name = "ping";
  using args = unit;
  using result = unit;
  static expected<result> run(engine_backend& b, const args&) { return b.ping(); }
};

} // namespace ops

// Served by the partition actor that owns the execution's partition, which
// forwards them, in order, to its backend actor.
using partition_operations = operation_list<
  ops::create_execution, ops::create_executions, ops::get_execution, ops::get_execution_state,
  ops::get_execution_result, ops::list_executions, ops::acquire_next_in_lane,
  ops::grant_next_in_lane, ops::claim_execution, ops::renew_lease, ops::complete_execution,
  ops::fail_execution, ops::update_progress, ops::cancel_execution, ops::replay_execution,
  ops::change_priority, ops::revoke_lease, ops::issue_reclaim_grant, ops::append_frame,
  ops::read_attempt_stream, ops::suspend_execution, ops::create_pending_waitpoint,
  ops::deliver_signal, ops::list_pending_waitpoints, ops::get_waitpoint_token,
  ops::rotate_waitpoint_hmac_secret, ops::run_scanner, ops::count_eligible>;

// Sent straight to a backend actor.
using direct_backend_operations =
  operation_list<ops::tail_attempt_stream, ops::get_waitpoint_hmac_ring, ops::register_worker,
                 ops::ping>;

// The operations a lane actor runs for a worker, on whichever partition
// has work for the lane.
using lane_operations = operation_list<ops::acquire_next_in_lane, ops::grant_next_in_lane>;

// Everything a backend actor serves.
using backend_operations =
  typename concat_operations<partition_operations, direct_backend_operations>::type;

template <class Op>
using op_args_t = typename Op::args;
template <class Op>
using op_result_t = typename Op::result;

// The metric label of an operation: its Lua function's name.
template <class Op>
const std::string& metric_label() {
  static const std::string label = std::string("ff_") + Op::name;
  return label;
}

} // namespace ff
