// The node actor replaces every kind of child that dies (backend,
// partition, scanner, lane, rotation coordinator) while the node keeps
// serving requests. A real node runtime on a real redis-server.

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "actors/runtime.hpp"
#include "backends/valkey/valkey_backend.hpp"
#include "core/ids.hpp"
#include "tests/support/redis_server.hpp"

namespace {

using namespace std::chrono_literals;
using namespace ff;

valkey_options options_for(const test::redis_server& server) {
  valkey_options o;
  o.host = server.host();
  o.port = server.port();
  o.connect_timeout = 1000ms;
  o.command_timeout = 5000ms;
  return o;
}

// Waits up to `limit` for `pred`; the limit is a hang guard, not a timing check.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 20s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

struct running_node {
  test::redis_server server;
  null_metrics_sink metrics;
  node_config cfg;
  std::unique_ptr<actor_runtime> runtime;

  running_node() {
    cfg.flow_partitions = 4;
    cfg.backend_pool_size = 2;
    cfg.lanes = {"default"};
    cfg.scanner_intervals_ms = {{"FF_LEASE_EXPIRY_INTERVAL_MS", 50},
                                {"FF_DELAYED_PROMOTER_INTERVAL_MS", 50}};
    auto options = options_for(server);
    auto boot = make_valkey_backend(options);
    backend_boot_options b;
    b.partitions.flow = cfg.flow_partitions;
    b.lanes = cfg.lanes;
    auto prepared = boot->prepare(b);
    REQUIRE_MESSAGE(prepared.has_value(), (prepared ? "" : prepared.error().text()));
    auto factory = [options] { return make_valkey_backend(options); };
    runtime = std::make_unique<actor_runtime>(cfg, factory, factory,
                                              std::vector<std::string>{}, metrics);
  }

  template <class Op>
  expected<op_result_t<Op>> call(std::uint16_t partition, op_args_t<Op> args) {
    std::promise<expected<op_result_t<Op>>> answer;
    runtime->gateway().call<Op>(partition, std::move(args),
                                [&](expected<op_result_t<Op>> r) { answer.set_value(std::move(r)); });
    return answer.get_future().get();
  }

  expected<acquire_outcome> acquire(std::uint32_t wait_ms) {
    dispatch_request req;
    req.lane_id = "default";
    req.worker_id = "w1";
    req.worker_instance_id = "w1-i1";
    req.wait_ms = wait_ms;
    req.lease_ttl_ms = 30000;
    std::promise<expected<acquire_outcome>> answer;
    runtime->gateway().dispatch<ops::acquire_next_in_lane>(
      std::move(req), [&](expected<acquire_outcome> r) { answer.set_value(std::move(r)); });
    return answer.get_future().get();
  }

  supervised_children children() {
    caf::scoped_actor self{runtime->node()->home_system()};
    supervised_children out;
    self->request(runtime->node(), 5s, children_atom::value)
      .receive([&](supervised_children& c) { out = std::move(c); },
               [&](caf::error& err) { FAIL("children: " << self->system().render(err)); });
    return out;
  }

  void kill(const caf::actor_addr& child) {
    auto handle = caf::actor_cast<caf::actor>(child);
    REQUIRE(handle);
    caf::anon_send_exit(handle, caf::exit_reason::kill);
  }

  execution_id create() {
    create_execution_args a;
    a.execution_id = execution_id::mint(1);
    a.namespace_name = "tenant-a";
    a.lane_id = "default";
    a.execution_kind = "send_email";
    a.input_payload = R"({"to":"a@example.com"})";
    a.payload_encoding = "json";
    a.creator_identity = "tester";
    auto r = call<ops::create_execution>(1, a);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
    return a.execution_id;
  }
};

// Kills the child `pick` chooses and waits until the node lists another
// live actor in its place.
template <class Pick>
void kill_and_see_replaced(running_node& node, Pick pick) {
  auto before = pick(node.children());
  REQUIRE(before);
  node.kill(before);
  CHECK(eventually([&] {
    auto now = pick(node.children());
    return now && now != before;
  }));
}

} // namespace

TEST_CASE("the node replaces each kind of child that dies and keeps serving") {
  running_node node;
  auto eid = node.create();
  auto read_back = [&] {
    auto r = node.call<ops::get_execution_state>(1, eid);
    return r.has_value() && *r == "waiting";
  };
  REQUIRE(read_back());

  SUBCASE("backend actor") {
    kill_and_see_replaced(node, [](const supervised_children& c) {
      return c.backends.at(1).address(); // serves partition 1 (1 % 2)
    });
    CHECK(eventually(read_back));
  }
  SUBCASE("partition actor") {
    kill_and_see_replaced(node, [](const supervised_children& c) {
      return c.partitions.at(1).address();
    });
    CHECK(eventually(read_back));
  }
  SUBCASE("budget and quota partition actors") {
    auto children = node.children();
    CHECK(children.budget_partitions.size() == node.cfg.budget_partitions);
    CHECK(children.quota_partitions.size() == node.cfg.quota_partitions);
    kill_and_see_replaced(node, [](const supervised_children& c) {
      return c.budget_partitions.at(1).address();
    });
    kill_and_see_replaced(node, [](const supervised_children& c) {
      return c.quota_partitions.at(0).address();
    });
    CHECK(eventually(read_back));
  }
  SUBCASE("scanner") {
    auto children = node.children();
    REQUIRE(children.scanners.size() == 2);
    kill_and_see_replaced(node, [](const supervised_children& c) {
      return c.scanners.at(0).address();
    });
    CHECK(node.children().scanners.size() == 2);
    CHECK(read_back());
  }
  SUBCASE("lane actor: the replacement's ready set is rebuilt from the store") {
    kill_and_see_replaced(node, [](const supervised_children& c) {
      return c.lanes.empty() ? caf::actor_addr{} : c.lanes.front().address();
    });
    // No new create tells the fresh lane about the execution: only the
    // rebuild does.
    expected<acquire_outcome> got = engine_error::internal("not asked");
    CHECK(eventually([&] {
      got = node.acquire(200);
      return got.has_value() && got->acquired;
    }));
    REQUIRE(got.has_value());
    CHECK(got->lease.execution_id == eid.value);
  }
  SUBCASE("rotation coordinator") {
    kill_and_see_replaced(node, [](const supervised_children& c) {
      return c.rotation.address();
    });
    std::promise<expected<rotation_report>> answer;
    node.runtime->gateway().rotate_waitpoint_secret(
      "k2", std::string(64, 'b'),
      [&](expected<rotation_report> r) { answer.set_value(std::move(r)); });
    auto report = answer.get_future().get();
    REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().text()));
    CHECK(report->rotated == node.cfg.flow_partitions);
    CHECK(report->failed.empty());
  }
}
