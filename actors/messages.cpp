#include "actors/messages.hpp"

#include <typeindex>
#include <unordered_set>

namespace ff {

namespace {

// Several operations share a result type; each type is registered once,
// under the name of the first operation (in list order) that answers it, so
// every node derives the same names.
class registrar {
public:
  explicit registrar(caf::actor_system_config& cfg) : cfg_(cfg) {}

  template <class T>
  void add(const std::string& name) {
    if (seen_.insert(std::type_index(typeid(T))).second) cfg_.add_message_type<T>(name);
  }

  template <class Op>
  void add_operation(op_tag<Op>) {
    add<operation<Op>>(std::string("ff::operation<") + Op::name + ">");
    add<reply<typename Op::result>>(std::string("ff::reply<") + Op::name + ">");
  }

  template <class Op>
  void add_dispatch(op_tag<Op>) {
    add<lane_dispatch<Op>>(std::string("ff::lane_dispatch<") + Op::name + ">");
  }

private:
  caf::actor_system_config& cfg_;
  std::unordered_set<std::type_index> seen_;
};

} // namespace

void add_message_types(caf::actor_system_config& cfg) {
  registrar r(cfg);
  r.add<engine_error>("ff::engine_error");
  for_each_operation(backend_operations{}, [&](auto op) { r.add_operation(op); });
  for_each_operation(lane_operations{}, [&](auto op) { r.add_dispatch(op); });
  r.add<reply<rotation_report>>("ff::reply<rotation_report>");
  r.add<supervised_children>("ff::supervised_children");
}

} // namespace ff
