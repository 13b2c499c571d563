#include <doctest/doctest.h>

#include <set>
#include <string>

#include "core/scanners.hpp"

using namespace ff;

TEST_CASE("the scanner catalogue lists every kind once, at its own index") {
  const auto& catalogue = scanner_catalogue();
  REQUIRE(catalogue.size() == static_cast<std::size_t>(scan_kind::expire_pending_waitpoints) + 1);
  std::set<std::string> names, variables;
  for (std::size_t i = 0; i < catalogue.size(); ++i) {
    const auto& spec = catalogue[i];
    CHECK(static_cast<std::size_t>(spec.kind) == i);
    CHECK(&scanner_of(spec.kind) == &spec);
    CHECK(std::string(to_string(spec.kind)) == spec.name);
    CHECK(spec.batch > 0);
    names.insert(spec.name);
    variables.insert(spec.interval_variable);
  }
  CHECK(names.size() == catalogue.size());
  CHECK(variables.size() == catalogue.size());
  // Only the index reconciler resumes where its last pass stopped.
  CHECK(scanner_of(scan_kind::reconcile_indexes).carries_cursor);
  CHECK_FALSE(scanner_of(scan_kind::expire_leases).carries_cursor);
}
