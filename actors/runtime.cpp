#include "actors/runtime.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <tuple>

#include <caf/io/all.hpp>

#include "actors/lane_actor.hpp"
#include "actors/node_actor.hpp"
#include "actors/relay_pool.hpp"
#include "actors/store_probe_actor.hpp"

namespace ff {

namespace {

// A counting permit pool taken without waiting (the stream_ops pool).
class permit_pool {
public:
  explicit permit_pool(std::uint32_t max) : max_(max) {}
  bool try_acquire() {
    auto n = used_.load(std::memory_order_relaxed);
    while (n < max_)
      if (used_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel)) return true;
    return false;
  }
  void release() { used_.fetch_sub(1, std::memory_order_acq_rel); }
  std::uint32_t max() const { return max_; }

private:
  std::uint32_t max_;
  std::atomic<std::uint32_t> used_{0};
};

// The engine_gateway on top of the actor system. Each call is an ask run by
// a relay actor (relay_pool.hpp), which hands the reply to the callback, so
// the calling (asio) thread never waits.
class caf_gateway final : public engine_gateway {
public:
  caf_gateway(caf::actor_system& sys, relay_pool& relays, call_watchdog& watchdog,
              std::shared_ptr<routing_table> table, std::shared_ptr<lane_directory> lanes,
              std::shared_ptr<store_health> health, backend_factory factory,
              metrics_sink& metrics, const node_config& cfg)
      : sys_(sys), relays_(relays), watchdog_(watchdog), table_(std::move(table)),
        lanes_(std::move(lanes)), health_(std::move(health)),
        factory_(std::move(factory)), metrics_(metrics), partitions_(cfg.flow_partitions),
        timeout_(cfg.request_timeout_ms), stream_ops_(cfg.max_concurrent_stream_ops) {}

  std::uint16_t flow_partitions() const override { return partitions_; }

  // Answered from the prober's last word, never by asking the store: a
  // health check must answer at once even when the store hangs.
  void ping(callback<unit> done) override {
    auto status = health_->snapshot();
    if (!status.up) {
      done(engine_error::store_unavailable(status.reason));
      return;
    }
    done(unit{});
  }

  void submit(std::unique_ptr<gateway_operation> call) override {
    visit_gateway_operation(*call, [this, &call](auto& typed) { route(typed, call->partition); });
  }

  void rotate_waitpoint_secret(std::string kid, std::string secret,
                               callback<rotation_report> done) override {
    auto snap = table_->snapshot();
    if (!snap) {
      done(engine_error::unavailable("shutting down"));
      return;
    }
    // Every partition rotates, 16 at a time, each in up to 120 s.
    auto wait = std::chrono::milliseconds(std::chrono::seconds(120)) *
                  ((snap->partitions.size() + 15) / 16) + timeout_;
    ask<rotation_report>(snap->rotation, wait, std::move(done), rotate_atom::value, std::move(kid),
                         std::move(secret));
  }

private:
  template <class Op>
  static constexpr bool served_by_partition =
    operation_index<Op, partition_operations>::value < partition_operations::size;

  // Where an operation goes: its partition's actor, or (for the few the
  // partition does not serve) a backend actor of the pool.
  template <class Op>
  void route(gateway_call<Op>& c, std::uint16_t p) {
    if constexpr (served_by_partition<Op>)
      to_partition(p, std::move(c.done), operation<Op>{std::move(c.args)});
    else
      to_backend<op_result_t<Op>>(std::move(c.done), operation<Op>{std::move(c.args)});
  }

  template <class Op>
  void route(gateway_dispatch<Op>& d, std::uint16_t) {
    to_lane<op_result_t<Op>>(std::move(d.request), std::move(d.done), [](dispatch_request r) {
      return lane_dispatch<Op>{std::move(r)};
    });
  }

  // Not a partition of this deployment: an empty page, as the spec says.
  void route(gateway_call<ops::list_executions>& c, std::uint16_t p) {
    if (p >= partitions_) return c.done(execution_page{});
    to_partition(p, std::move(c.done), operation<ops::list_executions>{std::move(c.args)});
  }

  // Stream reads take a permit of the FF_MAX_CONCURRENT_STREAM_OPS pool
  // without waiting (resource_exhausted "stream_ops" when none is free).
  void route(gateway_call<ops::read_attempt_stream>& c, std::uint16_t p) {
    if (!stream_ops_.try_acquire()) return refuse_stream_op(c.done);
    to_partition(p, release_stream_op(std::move(c.done)),
                 operation<ops::read_attempt_stream>{std::move(c.args)});
  }

  // A tail blocks its connection for up to block_ms: it gets a backend
  // actor (and connection) of its own, gone when the tail is answered, and
  // a stream_ops permit.
  void route(gateway_call<ops::tail_attempt_stream>& c, std::uint16_t p) {
    auto done = std::move(c.done);
    if (p >= partitions_) {
      done(engine_error::invalid_input("partition is not below the partition count"));
      return;
    }
    if (!stream_ops_.try_acquire()) return refuse_stream_op(done);
    if (health_->down()) {
      stream_ops_.release();
      return done(engine_error::store_unavailable(health_->snapshot().reason));
    }
    auto tailer = sys_.spawn<caf::detached>(backend_actor_behavior, factory_, &metrics_, health_);
    auto wait = std::chrono::milliseconds(c.args.block_ms) + timeout_;
    ask<stream_frames>(tailer, wait,
                       [tailer, done = release_stream_op(std::move(done))](
                         expected<stream_frames> r) mutable {
                         caf::anon_send_exit(tailer, caf::exit_reason::user_shutdown);
                         done(std::move(r));
                       },
                       operation<ops::tail_attempt_stream>{std::move(c.args)});
  }

  void refuse_stream_op(const callback<stream_frames>& done) {
    metrics_.queue_rejected("stream_ops");
    done(engine_error::resource_exhausted("stream_ops", stream_ops_.max()));
  }

  callback<stream_frames> release_stream_op(callback<stream_frames> done) {
    return [this, done = std::move(done)](expected<stream_frames> r) {
      stream_ops_.release();
      done(std::move(r));
    };
  }

  // To partition p of the operation's family.
  template <class Op>
  void to_partition(std::uint16_t p, callback<op_result_t<Op>> done, operation<Op> msg) {
    auto snap = table_->snapshot();
    if (!snap) {
      done(engine_error::unavailable("shutting down"));
      return;
    }
    const auto& family = snap->of(Op::family);
    if (p >= family.size()) {
      done(engine_error::invalid_input("partition " + std::to_string(p) +
                                       " is not below the partition count " +
                                       std::to_string(family.size())));
      return;
    }
    ask<op_result_t<Op>>(family[p], timeout_, std::move(done), std::move(msg));
  }

  template <class T, class Msg>
  void to_backend(callback<T> done, Msg msg) {
    auto snap = table_->snapshot();
    if (!snap || snap->backends.empty()) {
      done(engine_error::unavailable("shutting down"));
      return;
    }
    auto i = next_backend_.fetch_add(1, std::memory_order_relaxed) % snap->backends.size();
    ask<T>(snap->backends[i], timeout_, std::move(done), std::move(msg));
  }

  template <class T, class MakeMsg>
  void to_lane(dispatch_request req, callback<T> done, MakeMsg make_msg) {
    // The codec refuses longer waits; a caller inside the node is held to it too.
    req.wait_ms = std::min(req.wait_ms, max_dispatch_wait_ms);
    lane_directory::lookup why{};
    auto lane = lanes_->get(req.lane_id, &why);
    if (!lane) {
      if (why == lane_directory::lookup::too_many_lanes) {
        metrics_.queue_rejected("lanes");
        done(engine_error::resource_exhausted("lanes", lanes_->max_lanes()));
      } else {
        done(engine_error::unavailable("shutting down"));
      }
      return;
    }
    auto wait = std::chrono::milliseconds(req.wait_ms) + timeout_;
    ask<T>(lane, wait, std::move(done), make_msg(std::move(req)));
  }

  // The answer of one ask, or its timeout, whichever comes first.
  template <class T>
  class watched_call final : public pending_call {
  public:
    watched_call(std::chrono::milliseconds timeout, callback<T> done)
        : pending_call(std::chrono::steady_clock::now() + timeout), done_(std::move(done)) {}
    void answer(expected<T> r) {
      if (take()) done_(std::move(r));
    }
    void expire() override { done_(engine_error::timeout("no answer from the engine in time")); }
    void store_lost() override {
      done_(engine_error::store_unavailable("the store stopped answering while the call was open"));
    }

  private:
    callback<T> done_;
  };

  template <class T, class Handle, class... Ts>
  void ask(const Handle& target, std::chrono::milliseconds timeout, callback<T> done, Ts... msg) {
    // Fail fast while the store is down rather than queue behind it.
    if (health_->down()) {
      done(engine_error::store_unavailable(health_->snapshot().reason));
      return;
    }
    auto call = std::make_shared<watched_call<T>>(timeout, std::move(done));
    watchdog_.watch(call);
    // Runs once, so the arguments (payloads included) move into the message.
    relays_.post(relay_job{[target, call, args = std::make_tuple(std::move(msg)...)](
                             caf::event_based_actor* self) mutable {
      std::apply(
        [&](auto&&... m) {
          self->request(target, caf::infinite, std::move(m)...)
            .then([call](reply<T>& r) { call->answer(std::move(r).to_expected()); },
                  [call, self](caf::error& err) {
                    call->answer(engine_error::unavailable(self->system().render(err)));
                  });
        },
        args);
    }});
  }

  caf::actor_system& sys_;
  relay_pool& relays_;
  call_watchdog& watchdog_;
  std::shared_ptr<routing_table> table_;
  std::shared_ptr<lane_directory> lanes_;
  std::shared_ptr<store_health> health_;
  backend_factory factory_;
  metrics_sink& metrics_;
  std::uint16_t partitions_;
  std::chrono::milliseconds timeout_;
  permit_pool stream_ops_;
  std::atomic<std::size_t> next_backend_{0};
};

caf::actor_system_config& configure(caf::actor_system_config& cfg) {
  add_message_types(cfg);
  cfg.load<caf::io::middleman>();
  // CAF's default idle worker sleeps in 50 us naps for ~25 ms before it
  // blocks; at a few thousand requests a second that is a context switch
  // per nap on a 2-core machine. Spin briefly, then block on the worker's
  // condition variable: the enqueue that gives it work wakes it.
  cfg.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  return cfg;
}

// The scanners of the catalogue whose interval is set and not 0.
std::vector<scanner_settings> scanners_from(const node_config& cfg) {
  std::vector<scanner_settings> out;
  for (const auto& spec : scanner_catalogue()) {
    auto it = cfg.scanner_intervals_ms.find(spec.interval_variable);
    if (it == cfg.scanner_intervals_ms.end() || it->second == 0) continue;
    scanner_settings s;
    s.kind = spec.kind;
    s.interval = std::chrono::milliseconds(it->second);
    s.batch = spec.batch;
    out.push_back(s);
  }
  return out;
}

} // namespace

struct actor_runtime::impl {
  caf::actor_system_config cfg;
  caf::actor_system system;
  std::shared_ptr<routing_table> table = std::make_shared<routing_table>();
  std::shared_ptr<lane_directory> lanes;
  std::shared_ptr<store_health> health = std::make_shared<store_health>();
  node_actor node;
  caf::actor prober;
  // Sweeps a few times a second: deadlines are tens of seconds. While the
  // store is down, open calls end at once instead of waiting behind it.
  call_watchdog watchdog{std::chrono::milliseconds(100), [h = health] { return h->down(); }};
  std::unique_ptr<relay_pool> relays;
  std::unique_ptr<caf_gateway> gateway;
  bool stopped = false;

  impl(const node_config& c, backend_factory factory, backend_factory probe_factory,
       std::vector<std::string> lanes_with_work, metrics_sink& metrics)
      : system(configure(cfg)) {
    prober = system.spawn<caf::detached>(store_probe_actor_behavior, std::move(probe_factory),
                                         health, store_probe_settings{});
    lane_settings lane_base;
    lane_base.bound = c.partition_queue_bound;
    lane_base.idle_after = std::chrono::milliseconds(c.lane_idle_timeout_ms);
    lanes = std::make_shared<lane_directory>(
      [this, lane_base, m = &metrics](const std::string& lane, bool configured) {
        auto s = lane_base;
        s.configured = configured;
        return system.spawn(lane_actor_behavior, lane, table, s, m,
                            std::weak_ptr<lane_directory>(lanes));
      },
      c.max_lanes, &metrics);
    node_settings settings;
    settings.flow_partitions = c.flow_partitions;
    settings.budget_partitions = c.budget_partitions;
    settings.quota_partitions = c.quota_partitions;
    settings.backend_pool_size = c.backend_pool_size;
    settings.partition_queue_bound = c.partition_queue_bound;
    settings.lanes = c.lanes;
    settings.boot_lanes = c.lanes;
    for (auto& lane : lanes_with_work)
      if (std::find(c.lanes.begin(), c.lanes.end(), lane) == c.lanes.end())
        settings.boot_lanes.push_back(std::move(lane));
    settings.scanners = scanners_from(c);
    settings.health = health;
    settings.waitpoint_hmac_grace_ms = c.waitpoint_hmac_grace_ms;
    node = system.spawn(node_actor_behavior, settings, factory, &metrics, table, lanes);
    // The node actor publishes its routing table from its first behavior;
    // wait for it so no request sees an empty table.
    for (int i = 0; i < 5000 && !table->snapshot(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    relays = std::make_unique<relay_pool>(system, std::max<std::size_t>(c.http_threads, 1));
    gateway = std::make_unique<caf_gateway>(system, *relays, watchdog, table, lanes, health,
                                            std::move(factory), metrics, c);
  }
};

actor_runtime::actor_runtime(const node_config& cfg, backend_factory factory,
                             backend_factory probe_factory,
                             std::vector<std::string> lanes_with_work, metrics_sink& metrics)
    : impl_(std::make_unique<impl>(cfg, std::move(factory), std::move(probe_factory),
                                   std::move(lanes_with_work), metrics)) {}

actor_runtime::~actor_runtime() { shutdown(); }

engine_gateway& actor_runtime::gateway() { return *impl_->gateway; }

node_actor actor_runtime::node() const { return impl_->node; }

void actor_runtime::begin_shutdown() {
  for (auto& lane : impl_->lanes->all()) caf::anon_send(lane, drain_atom::value);
}

void actor_runtime::shutdown() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->relays->stop();
  impl_->watchdog.stop();
  caf::anon_send_exit(impl_->prober, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(impl_->node, caf::exit_reason::user_shutdown);
  impl_->system.await_all_actors_done();
}

} // namespace ff
