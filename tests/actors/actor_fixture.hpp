#pragma once
// A deterministic actor system for the actor-layer tests, and a rig of real
// actors over a real store:
//
// - `deterministic_actors`: an actor system on CAF's test coordinator
//   (scheduler.policy = testing). Nothing runs until the test says so:
//   `run()` delivers every queued message, `run_except(a, b)` every message
//   except those for the actors a test holds back, `run_only(a)` those of
//   one actor. Timers fire only when the test advances the clock
//   (`sched.advance_time`). Every run is bounded: a dispatch loop that
//   never settles fails the test instead of hanging it.
// - `actor_rig`: a private redis-server with the function library loaded
//   exactly as the Valkey tests load it (tests/valkey/valkey_fixture.hpp),
//   backend actors on it (not detached, so the coordinator runs them inline
//   and the test can hold their mailboxes), one partition actor per
//   partition, the lane directory and its lane actors, and the routing
//   table: the wiring of actors/runtime.cpp and actors/node_actor.cpp
//   without the node actor (tests/actors/boot_rebuild_test.cpp uses that).
//
// Answers are collected by short-lived client actors (`ask`), so no test
// blocks on a reply: a test checks whether the answer has arrived yet.

#include <doctest/doctest.h>

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/backend_actor.hpp"
#include "actors/lane_actor.hpp"
#include "actors/lane_directory.hpp"
#include "actors/messages.hpp"
#include "actors/partition_actor.hpp"
#include "actors/routing_table.hpp"
#include "core/metrics_sink.hpp"
#include "tests/valkey/valkey_fixture.hpp"

namespace ff::test {

// What the actors report through metrics_sink, for assertions: store calls
// per Lua function, refusals per pool, parked claims per lane, scanner
// passes. Locked: the node actor's detached backends may report from their
// own threads.
class recording_metrics final : public metrics_sink {
public:
  void backend_call(std::string_view op, double, bool) override { bump(calls_, op); }
  void queue_rejected(std::string_view pool) override { bump(rejected_, pool); }
  void scanner_cycle(std::string_view scanner, double, std::uint64_t, std::uint64_t) override {
    bump(cycles_, scanner);
  }
  void lanes_served(std::size_t lanes) override {
    std::lock_guard<std::mutex> g(m_);
    lanes_served_ = lanes;
  }
  void claim_from_grant(std::string_view, double) override {}
  void lease_renewal(std::string_view) override {}
  void worker_at_capacity() override {
    std::lock_guard<std::mutex> g(m_);
    ++at_capacity_;
  }
  void lane_parked_claims(std::string_view lane, std::size_t parked) override {
    std::lock_guard<std::mutex> g(m_);
    parked_[std::string(lane)] = parked;
  }
  void lane_retired(std::string_view) override {}

  // Store calls of one Lua function ("ff_acquire_next_in_lane").
  std::size_t calls(const std::string& op) const { return get(calls_, op); }
  std::size_t total_calls() const {
    std::lock_guard<std::mutex> g(m_);
    std::size_t n = 0;
    for (auto& [op, c] : calls_) n += c;
    return n;
  }
  std::size_t rejected(const std::string& pool) const { return get(rejected_, pool); }
  std::size_t cycles(const std::string& scanner) const { return get(cycles_, scanner); }
  std::size_t parked(const std::string& lane) const { return get(parked_, lane); }
  std::size_t at_capacity() const {
    std::lock_guard<std::mutex> g(m_);
    return at_capacity_;
  }
  std::size_t lanes_served() const {
    std::lock_guard<std::mutex> g(m_);
    return lanes_served_;
  }

private:
  using counts = std::map<std::string, std::size_t, std::less<>>;
  void bump(counts& c, std::string_view key) {
    std::lock_guard<std::mutex> g(m_);
    ++c[std::string(key)];
  }
  std::size_t get(const counts& c, const std::string& key) const {
    std::lock_guard<std::mutex> g(m_);
    auto it = c.find(key);
    return it == c.end() ? 0 : it->second;
  }

  mutable std::mutex m_;
  counts calls_, rejected_, cycles_, parked_;
  std::size_t at_capacity_ = 0;
  std::size_t lanes_served_ = 0;
};

// The answer an `ask` collects: the reply, or the CAF error (rendered).
template <class T>
struct answer {
  std::optional<T> value;
  std::optional<std::string> failure;
  bool arrived() const { return value.has_value() || failure.has_value(); }
};

template <class T>
using answer_ptr = std::shared_ptr<answer<T>>;

class deterministic_actors {
public:
  // More events than any test needs; reaching it means actors keep
  // messaging each other (a dispatch loop) and fails the test.
  static constexpr std::size_t event_limit = 20'000;

  deterministic_actors()
      : sys(configure(cfg)),
        sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {}

  deterministic_actors(const deterministic_actors&) = delete;
  deterministic_actors& operator=(const deterministic_actors&) = delete;

  virtual ~deterministic_actors() = default;

  template <class Handle>
  static caf::resumable* job_of(const Handle& h) {
    return dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(h));
  }

  // Whether `h` has messages waiting (it is in the coordinator's queue).
  template <class Handle>
  bool has_work(const Handle& h) const {
    auto* job = job_of(h);
    return std::find(sched.jobs.begin(), sched.jobs.end(), job) != sched.jobs.end();
  }

  // Delivers queued messages, one at a time, to actors `pick` accepts,
  // until none is left; requires that this settles (`settle_or_throw`
  // false: only checks, for teardown, which must not throw).
  template <class Pick>
  std::size_t run_where(Pick pick, bool settle_or_throw = true) {
    std::size_t events = 0;
    for (;;) {
      auto it = std::find_if(sched.jobs.begin(), sched.jobs.end(), pick);
      if (it == sched.jobs.end()) return events;
      if (events >= event_limit) {
        if (settle_or_throw)
          FAIL("actors still busy after " << events << " messages: a dispatch loop?");
        CHECK_MESSAGE(false, "actors still busy at teardown after " << events << " messages");
        return events;
      }
      std::rotate(sched.jobs.begin(), it, std::next(it));
      sched.run_once();
      ++events;
    }
  }

  std::size_t run() {
    return run_where([](caf::resumable*) { return true; });
  }

  // Runs everything except the actors in `held`, whose mailboxes keep
  // filling (a held backend actor = a store call queued, not yet made).
  template <class... Handles>
  std::size_t run_except(const Handles&... held) {
    std::vector<caf::resumable*> skip{job_of(held)...};
    return run_where([&](caf::resumable* r) {
      return std::find(skip.begin(), skip.end(), r) == skip.end();
    });
  }

  template <class Handle>
  std::size_t run_only(const Handle& h) {
    auto* job = job_of(h);
    return run_where([job](caf::resumable* r) { return r == job; });
  }

  // Sends `msg` to `target` from a client actor that records the answer.
  // The request leaves when the client first runs.
  template <class Reply, class Handle, class Msg>
  answer_ptr<Reply> ask_for(const Handle& target, Msg msg) {
    auto out = std::make_shared<answer<Reply>>();
    auto client = sys.spawn(
      [](caf::event_based_actor* self, Handle to, Msg m, answer_ptr<Reply> into) {
        self->request(to, caf::infinite, std::move(m))
          .then([into](Reply& r) { into->value = std::move(r); },
                [into, self](caf::error& err) { into->failure = self->system().render(err); });
      },
      target, std::move(msg), out);
    spawned.push_back(caf::actor_cast<caf::actor>(client));
    return out;
  }

  template <class Handle, class Op>
  auto ask(const Handle& target, operation<Op> msg) {
    return ask_for<reply<op_result_t<Op>>>(target, std::move(msg));
  }
  template <class Handle, class Op>
  auto ask(const Handle& target, lane_dispatch<Op> msg) {
    return ask_for<reply<op_result_t<Op>>>(target, std::move(msg));
  }

  // Remembers an actor to stop at teardown.
  template <class Handle>
  Handle keep(Handle h) {
    spawned.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  // Stops every actor the test spawned and lets them finish, so the actor
  // system's destructor has nothing to wait for (`detached`: actors running
  // on threads of their own, which end on their own time).
  void stop_all(std::size_t detached = 0) {
    for (auto& a : spawned) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    spawned.clear();
    run_where([](caf::resumable*) { return true; }, false);
    auto running = sys.registry().running();
    CHECK_MESSAGE(running <= detached, running << " actors still running after teardown");
    // Never hang in the destructor over a leak the CHECK reported.
    if (running > detached) sys.await_actors_before_shutdown(false);
  }

  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  std::vector<caf::actor> spawned;

private:
  static caf::actor_system_config& configure(caf::actor_system_config& c) {
    add_message_types(c);
    c.set("scheduler.policy", caf::atom("testing"));
    c.set("logger.file-verbosity", caf::atom("quiet"));
    c.set("logger.console-verbosity", caf::atom("quiet"));
    return c;
  }
};

// A worker's claim on a lane.
inline dispatch_request claim_request(const std::string& lane = "default",
                                      std::uint32_t wait_ms = 0,
                                      const std::string& caps = "",
                                      const std::string& instance = "w1") {
  dispatch_request r;
  r.lane_id = lane;
  r.worker_id = "pool-" + instance;
  r.worker_instance_id = instance;
  r.worker_capabilities = caps;
  r.wait_ms = wait_ms;
  return r;
}

// Long enough that the real clock never ends a wait during a test: waits
// end when the test advances the coordinator's clock, or by drain.
constexpr std::uint32_t long_wait_ms = 30'000;

struct rig_settings {
  std::uint16_t partitions = 3;
  std::uint32_t partition_bound = 64;
  std::uint32_t lane_bound = 64;
  std::size_t max_lanes = 8;
  std::vector<std::string> lanes{"default"}; // configured: never retire
};

class actor_rig : public deterministic_actors {
public:
  explicit actor_rig(rig_settings s = {}) : settings(std::move(s)) {
    lanes = std::make_shared<lane_directory>(
      [this](const std::string& lane, bool configured) {
        lane_settings ls;
        ls.bound = settings.lane_bound;
        ls.configured = configured;
        ls.idle_after = std::chrono::hours(24); // no retirement during a test
        return sys.spawn(lane_actor_behavior, lane, table, ls,
                         static_cast<metrics_sink*>(&metrics),
                         std::weak_ptr<lane_directory>(lanes));
      },
      settings.max_lanes, &metrics);
    routes r;
    // One backend actor per partition, so a test can hold one partition's
    // store calls (the node shares a pool; the order per partition is the same).
    for (std::uint16_t p = 0; p < settings.partitions; ++p) {
      r.backends.push_back(keep(spawn_backend()));
      r.partitions.push_back(keep(sys.spawn(partition_actor_behavior, p, r.backends.back(),
                                            settings.partition_bound,
                                            static_cast<metrics_sink*>(&metrics), lanes)));
    }
    backends = r.backends;
    partitions = r.partitions;
    table->publish(std::make_shared<const routes>(std::move(r)));
    lanes->configure(settings.lanes);
    run();
  }

  ~actor_rig() override { stop(); }

  void stop() {
    if (stopped) return;
    stopped = true;
    table->publish(nullptr);
    for (auto& lane : lanes->clear()) keep(lane);
    stop_all();
  }

  // A backend actor on the rig's store, run inline by the coordinator.
  backend_actor spawn_backend() {
    backend_factory factory = [opts = options_for(store.server)] {
      return make_valkey_backend(opts);
    };
    return sys.spawn(backend_actor_behavior, factory, static_cast<metrics_sink*>(&metrics),
                     std::shared_ptr<store_health>{});
  }

  lane_actor lane(const std::string& name = "default") {
    auto actor = lanes->get(name);
    REQUIRE(actor);
    return actor;
  }

  // Creates an execution through its partition actor (which tells the lane)
  // and runs until it is stored; returns its id.
  execution_id create(std::uint16_t p, const std::string& lane = "default",
                      const std::string& caps = "", std::int64_t delay_until = 0) {
    auto args = sample_create_args(p, lane);
    args.required_capabilities = caps;
    args.delay_until = delay_until;
    auto eid = args.execution_id;
    auto done = ask(partitions.at(p), operation<ops::create_execution>{std::move(args)});
    run();
    REQUIRE(done->value);
    REQUIRE_MESSAGE(done->value->ok, done->value->error.text());
    REQUIRE(done->value->value.created);
    return eid;
  }

  // The same, straight into the store: no actor hears of it.
  execution_id create_in_store(std::uint16_t p, const std::string& lane = "default") {
    auto args = sample_create_args(p, lane);
    auto r = store.backend->create_execution(args);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
    REQUIRE(r->created);
    return args.execution_id;
  }

  auto acquire(const dispatch_request& req) {
    return ask(lane(req.lane_id), lane_dispatch<ops::acquire_next_in_lane>{req});
  }
  auto grant(const dispatch_request& req) {
    return ask(lane(req.lane_id), lane_dispatch<ops::grant_next_in_lane>{req});
  }

  valkey_fixture store; // the redis-server, library loaded as in the backend tests
  rig_settings settings;
  recording_metrics metrics;
  std::shared_ptr<routing_table> table = std::make_shared<routing_table>();
  std::shared_ptr<lane_directory> lanes;
  std::vector<backend_actor> backends;     // backends[p] serves partition p
  std::vector<partition_actor> partitions;
  bool stopped = false;
};

// The partition an execution id belongs to.
inline std::uint16_t partition_of(const std::string& eid) {
  auto id = execution_id::parse(eid);
  REQUIRE(id.has_value());
  return id->partition;
}

// A claim's answer: acquired (the lease), or "no work" (ok, not acquired).
inline const acquire_outcome& acquired(const answer_ptr<reply<acquire_outcome>>& a) {
  REQUIRE_MESSAGE(a->arrived(), "no answer yet");
  REQUIRE_MESSAGE(!a->failure, *a->failure);
  REQUIRE_MESSAGE(a->value->ok, a->value->error.text());
  return a->value->value;
}

} // namespace ff::test
