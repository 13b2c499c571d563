// Every message type registered in actors/messages.cpp crosses CAF's binary
// serialisation intact, for every operation of the catalogue (the lists of
// backends/operations.hpp are walked, so a new operation is covered without
// editing this file): operation<Op> and reply<Op::result> for everything a
// backend actor serves, lane_dispatch<Op> and its reply for the lane
// operations. A value with every field set is serialised, deserialised and
// serialised again (same bytes, and not the bytes of a default value), also
// as a caf::message under its registered name; and each struct's inspect
// must visit as many members as the struct has fields, nested structs
// included, so a field added to a struct but not to its inspect fails here.

#include <doctest/doctest.h>

#include <caf/all.hpp>

#include <set>
#include <string>
#include <typeindex>
#include <vector>

#include "actors/messages.hpp"
#include "tests/actors/inspect_probe.hpp"

using namespace ff;
using namespace ff::test;

namespace {

struct serialising_system {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  serialising_system() : sys(configure(cfg)) {}

  static caf::actor_system_config& configure(caf::actor_system_config& c) {
    add_message_types(c);
    c.set("scheduler.policy", caf::atom("testing"));
    c.set("logger.file-verbosity", caf::atom("quiet"));
    c.set("logger.console-verbosity", caf::atom("quiet"));
    return c;
  }

  template <class T>
  std::vector<char> save(T& x) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    auto err = sink(x);
    REQUIRE_MESSAGE(!err, "serialising " << type_name<T>() << ": " << sys.render(err));
    return buf;
  }

  template <class T>
  void load(const std::vector<char>& buf, T& x) {
    caf::binary_deserializer source{sys, buf};
    auto err = source(x);
    REQUIRE_MESSAGE(!err, "deserialising " << type_name<T>() << ": " << sys.render(err));
    CHECK_MESSAGE(source.remaining() == 0, type_name<T>() << ": bytes left after reading");
  }

  // The checks of one message type (once per type: results are shared).
  template <class T>
  void check_type(std::set<std::type_index>& seen) {
    if (!seen.insert(std::type_index(typeid(T))).second) return;
    INFO(type_name<T>());

    T filled{};
    filler fill;
    fill.fill(filled);
    auto bytes = save(filled);
    T back{};
    load(bytes, back);
    CHECK(save(back) == bytes);
    T plain{};
    if (fill.leaves() > 0)
      CHECK(save(plain) != bytes);
    else // nothing to set (operation<ping> carries unit)
      CHECK(bytes.empty());

    // As a message: the type must be registered under a name that a
    // receiving node can turn back into the type.
    auto msg = caf::make_message(filled);
    auto msg_bytes = save(msg);
    caf::message msg_back;
    load(msg_bytes, msg_back);
    REQUIRE(msg_back.match_elements<T>());
    auto element = msg_back.get_as<T>(0);
    CHECK(save(element) == bytes);

    structure_checker structure;
    structure.check(filled);
    for (const auto& problem : structure.problems) FAIL_CHECK(problem);
  }
};

} // namespace

TEST_CASE("the field-count probe and the member counter agree on known structs") {
  static_assert(field_count<lease_fence>() == 4);
  static_assert(field_count<unit>() == 0);
  static_assert(field_count<engine_error>() == 6);
  static_assert(field_count<reply<acquire_outcome>>() == 3);
  static_assert(field_count<operation<ops::ping>>() == 1);
  static_assert(field_count<create_execution_args>() == 17);
  lease_fence fence;
  member_counter counter;
  CHECK(inspect(counter, fence) == 4);
}

namespace {
// Test-only structs with an inspect that forgets a field.
struct forgetful {
  std::string kept;
  std::uint32_t forgotten = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forgetful& x) {
  return f(x.kept);
}
struct outer {
  std::vector<forgetful> items;
  std::map<std::string, forgetful> by_name;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outer& x) {
  return f(x.items, x.by_name);
}
} // namespace

TEST_CASE("the structure check reports a field missing from an inspect, nested or not") {
  forgetful flat;
  structure_checker direct;
  direct.check(flat);
  REQUIRE(direct.problems.size() == 1);
  CHECK(direct.problems[0].find("visits 1 of 2 fields") != std::string::npos);

  outer nested;
  structure_checker deep;
  deep.check(nested);
  CHECK(deep.problems.size() == 2); // through the vector and through the map
}

TEST_CASE("the filler sets every field away from its default") {
  fail_args a; // defaults that are not zero: retryable = true, source = "worker"
  filler{}.fill(a);
  fail_args d;
  CHECK(a.execution_id != d.execution_id);
  CHECK(a.fence.lease_id != d.fence.lease_id);
  CHECK(a.fence.lease_epoch != d.fence.lease_epoch);
  CHECK(a.fence.attempt_index != d.fence.attempt_index);
  CHECK(a.fence.attempt_id != d.fence.attempt_id);
  CHECK(a.retryable != d.retryable);
  CHECK(a.source != d.source);
  claimed_lease l;
  filler{}.fill(l);
  CHECK(l.tags.size() == 1);
  REQUIRE(l.signals.size() == 1);
  CHECK_FALSE(l.signals[0].payload.empty());
  engine_error e;
  filler{}.fill(e);
  CHECK(e.kind != engine_error{}.kind);
}

TEST_CASE("every registered message type survives serialisation with every field set") {
  serialising_system s;
  std::set<std::type_index> seen;
  std::size_t operations = 0;
  for_each_operation(backend_operations{}, [&](auto tag) {
    using op = typename decltype(tag)::type;
    INFO(std::string(op::name));
    ++operations;
    s.check_type<operation<op>>(seen);
    s.check_type<reply<op_result_t<op>>>(seen);
  });
  CHECK(operations == backend_operations::size);
  std::size_t dispatches = 0;
  for_each_operation(lane_operations{}, [&](auto tag) {
    using op = typename decltype(tag)::type;
    INFO(std::string(op::name));
    ++dispatches;
    s.check_type<lane_dispatch<op>>(seen);
    s.check_type<reply<op_result_t<op>>>(seen);
  });
  CHECK(dispatches == lane_operations::size);
  s.check_type<engine_error>(seen);
  // Shared result types are checked once; every operation brought its own message.
  CHECK(seen.size() >= backend_operations::size + lane_operations::size + 1);
}
