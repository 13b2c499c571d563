#pragma once
// The stores the contract suite runs against, and the fixture of a
// contract test. A contract test goes through engine_backend only; it runs
// once per entry of backend_factories() (backend_factories.cpp), as a
// doctest subcase named after the store, so a new store joins the suite by
// adding one entry there. `ff_contract_tests -sce=<name>` leaves a store out.

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backends/engine_backend.hpp"
#include "tests/contract/lifecycle_support.hpp"

namespace ff::test {

// One store under test, empty, for the length of one test.
class contract_store {
public:
  virtual ~contract_store() = default;
  // A new backend on this store with a connection of its own (what another
  // node would have, or a connection dedicated to tails).
  virtual std::unique_ptr<engine_backend> connect() = 0;
};

struct backend_factory {
  std::string name; // the subcase name: "valkey"
  // The store with every execution, worker, secret and setting of an
  // earlier test gone, not yet prepared. Starts the server on first use.
  std::function<std::unique_ptr<contract_store>()> open;
};

// Every store the suite runs against.
const std::vector<backend_factory>& backend_factories();

// A store of one factory, prepared unless `prepare` is false, and one
// backend on it.
struct contract_fixture {
  std::unique_ptr<contract_store> store;
  std::unique_ptr<engine_backend> backend;

  explicit contract_fixture(const backend_factory& factory, bool prepare = true)
      : store(factory.open()), backend(store->connect()) {
    if (prepare) {
      auto report = backend->prepare(default_boot_options());
      REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().text()));
    }
  }

  std::unique_ptr<engine_backend> connect() const { return store->connect(); }
};

// Runs `body` once per factory, each in a subcase of the current test.
inline void run_per_backend(void (*body)(contract_fixture&), bool prepare) {
  for (const backend_factory& factory : backend_factories()) {
    SUBCASE(factory.name.c_str()) {
      contract_fixture fx(factory, prepare);
      body(fx);
    }
  }
}

} // namespace ff::test

#define FF_CONTRACT_CAT_(a, b) a##b
#define FF_CONTRACT_CAT(a, b) FF_CONTRACT_CAT_(a, b)
#define FF_CONTRACT_TEST_(name, body, prepare)                                                   \
  static void body(::ff::test::contract_fixture& fx);                                          \
  TEST_CASE(name) { ::ff::test::run_per_backend(&body, prepare); }                             \
  static void body(::ff::test::contract_fixture& fx)

// CONTRACT_TEST("name") { ... uses `fx` ... }: a test case run once per
// store, each time on a prepared, empty store. Subcases may nest inside.
#define CONTRACT_TEST(name) \
  FF_CONTRACT_TEST_(name, FF_CONTRACT_CAT(ff_contract_test_, __LINE__), true)
// The same on a store that was not prepared (tests of prepare itself).
#define CONTRACT_TEST_UNPREPARED(name) \
  FF_CONTRACT_TEST_(name, FF_CONTRACT_CAT(ff_contract_test_, __LINE__), false)
