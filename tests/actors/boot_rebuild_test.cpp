// The boot rebuild of the lanes' ready sets (node_actor.cpp): the node
// actor asks every partition for its eligible counts in the boot lanes,
// the partitions tell the lanes that have work, and a claim is served from
// work that was in the store before the node started, with no new create.

#include <doctest/doctest.h>

#include "actors/node_actor.hpp"
#include "tests/actors/actor_fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

// The node actor, the partitions and the lanes it spawns, on the
// deterministic scheduler, over the rig's store.
struct node_rig : deterministic_actors {
  valkey_fixture store;
  recording_metrics node_metrics;   // what the node's own children report
  recording_metrics inline_metrics; // what the stand-in backend reports
  std::shared_ptr<routing_table> table = std::make_shared<routing_table>();
  std::shared_ptr<lane_directory> lanes;
  node_actor node;
  std::size_t pool_size = 1;

  node_rig() {
    lanes = std::make_shared<lane_directory>(
      [this](const std::string& lane, bool configured) {
        lane_settings ls;
        ls.bound = 64;
        ls.configured = configured;
        ls.idle_after = std::chrono::hours(24);
        return sys.spawn(lane_actor_behavior, lane, table, ls,
                         static_cast<metrics_sink*>(&node_metrics),
                         std::weak_ptr<lane_directory>(lanes));
      },
      8, &node_metrics);
  }

  ~node_rig() override {
    if (node) caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    // The node's exit handler stops its partitions, lanes and backends; the
    // backends are detached and end on their own threads.
    stop_all(pool_size);
  }
};

} // namespace

TEST_CASE("boot rebuilds the lanes' ready sets from the store") {
  node_rig rig;
  // Work stored before the node starts: nothing in memory knows of it.
  auto in_default = sample_create_args(2, "default");
  auto in_gpu = sample_create_args(1, "gpu");
  in_gpu.required_capabilities = "gpu";
  REQUIRE(rig.store.backend->create_execution(in_default).has_value());
  REQUIRE(rig.store.backend->create_execution(in_gpu).has_value());

  node_settings settings;
  settings.flow_partitions = 3;
  settings.backend_pool_size = static_cast<std::uint32_t>(rig.pool_size);
  settings.partition_queue_bound = 64;
  settings.lanes = {"default"};
  settings.boot_lanes = {"default", "gpu"}; // gpu: a lane the store has work in
  backend_factory factory = [opts = options_for(rig.store.server)] {
    return make_valkey_backend(opts);
  };
  rig.node = rig.sys.spawn(node_actor_behavior, settings, factory,
                           static_cast<metrics_sink*>(&rig.node_metrics), rig.table, rig.lanes);

  // The node's first behavior spawns its children and sends each partition
  // its count_eligible request.
  rig.run_only(rig.node);
  auto snap = rig.table->snapshot();
  REQUIRE(snap);
  REQUIRE(snap->partitions.size() == 3);

  // The node spawns its backend pool detached (threads of their own, whose
  // answers would reach this single-threaded scheduler from another
  // thread). Each partition is pointed at a backend actor run inline, over
  // the same store, before it reads its mailbox: set_backend_atom is the
  // node's own message for a replaced backend, sent here with high
  // priority so it is read before the queued count_eligible.
  auto inline_backend = rig.keep(rig.sys.spawn(
    backend_actor_behavior, factory, static_cast<metrics_sink*>(&rig.inline_metrics),
    std::shared_ptr<store_health>{}));
  for (auto& p : snap->partitions)
    caf::anon_send<caf::message_priority::high>(p, set_backend_atom::value, inline_backend);
  rig.run();
  CHECK(rig.inline_metrics.calls("ff_count_eligible") == 3);
  CHECK(rig.node_metrics.total_calls() == 0); // the detached pool never got a call

  // Served from the rebuilt sets, without a create: one store call each.
  auto from_default = rig.ask(rig.lanes->get("default"),
                              lane_dispatch<ops::acquire_next_in_lane>{claim_request("default")});
  auto from_gpu = rig.ask(rig.lanes->get("gpu"), lane_dispatch<ops::acquire_next_in_lane>{
                                                   claim_request("gpu", 0, "gpu", "g1")});
  rig.run();
  CHECK(acquired(from_default).lease.execution_id == in_default.execution_id.value);
  CHECK(acquired(from_gpu).lease.execution_id == in_gpu.execution_id.value);
  CHECK(rig.inline_metrics.calls("ff_acquire_next_in_lane") == 2);

  // Each lane heard only of the partition that had its work: the next
  // claim finds nothing without asking the store.
  auto again = rig.ask(rig.lanes->get("default"),
                       lane_dispatch<ops::acquire_next_in_lane>{claim_request("default")});
  rig.run();
  CHECK_FALSE(acquired(again).acquired);
  CHECK(rig.inline_metrics.calls("ff_acquire_next_in_lane") == 2);
}
