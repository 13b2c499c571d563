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

// Longest long-poll a worker may ask for (decisions.md §5).
constexpr std::uint32_t max_wait_ms = 30'000;

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
        timeout_(cfg.request_timeout_ms), stream_ops_(cfg.max_concurrent_stream_ops),
        grace_ms_(cfg.waitpoint_hmac_grace_ms) {}

  std::uint16_t flow_partitions() const override { return partitions_; }

  void create_execution(create_execution_args args,
                        callback<create_execution_outcome> done) override {
    auto p = args.partition;
    to_partition<create_execution_outcome>(p, std::move(done), create_atom::value,
                                           std::move(args));
  }
  void get_execution(std::string id, std::uint16_t p, callback<execution_info> done) override {
    to_partition<execution_info>(p, std::move(done), fetch_atom::value, std::move(id));
  }
  void get_execution_state(std::string id, std::uint16_t p, callback<std::string> done) override {
    to_partition<std::string>(p, std::move(done), state_atom::value, std::move(id));
  }
  void get_execution_result(std::string id, std::uint16_t p,
                            callback<execution_result> done) override {
    to_partition<execution_result>(p, std::move(done), result_atom::value, std::move(id));
  }
  void list_executions(list_executions_args args, callback<execution_page> done) override {
    auto p = args.partition;
    if (p >= partitions_) {
      // Not a partition of this deployment: an empty page, as the spec says.
      done(execution_page{});
      return;
    }
    to_partition<execution_page>(p, std::move(done), list_atom::value, std::move(args));
  }
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

  void acquire(dispatch_request req, callback<acquire_outcome> done) override {
    to_lane<acquire_outcome>(std::move(req), std::move(done), acquire_atom::value);
  }
  void claim_grant(dispatch_request req, callback<grant_outcome> done) override {
    to_lane<grant_outcome>(std::move(req), std::move(done), grant_atom::value);
  }
  void claim_execution(std::uint16_t p, claim_execution_args args,
                       callback<claimed_lease> done) override {
    to_partition<claimed_lease>(p, std::move(done), claim_atom::value, std::move(args));
  }
  void renew_lease(std::uint16_t p, renew_lease_args args, callback<renew_outcome> done) override {
    to_partition<renew_outcome>(p, std::move(done), renew_atom::value, std::move(args));
  }
  void complete_execution(std::uint16_t p, complete_args args,
                          callback<complete_outcome> done) override {
    to_partition<complete_outcome>(p, std::move(done), complete_atom::value, std::move(args));
  }
  void fail_execution(std::uint16_t p, fail_args args, callback<fail_outcome> done) override {
    to_partition<fail_outcome>(p, std::move(done), fail_atom::value, std::move(args));
  }
  void update_progress(std::uint16_t p, progress_args args, callback<unit> done) override {
    to_partition<unit>(p, std::move(done), progress_atom::value, std::move(args));
  }
  void append_frame(std::uint16_t p, append_frame_args args,
                    callback<append_frame_outcome> done) override {
    to_partition<append_frame_outcome>(p, std::move(done), append_atom::value, std::move(args));
  }
  void heartbeat_worker(register_worker_args args, callback<worker_liveness> done) override {
    to_backend<worker_liveness>(std::move(done), heartbeat_atom::value, std::move(args));
  }
  void cancel_execution(std::uint16_t p, cancel_args args, callback<cancel_outcome> done) override {
    to_partition<cancel_outcome>(p, std::move(done), cancel_atom::value, std::move(args));
  }
  void replay_execution(std::uint16_t p, replay_args args, callback<replay_outcome> done) override {
    to_partition<replay_outcome>(p, std::move(done), replay_atom::value, std::move(args));
  }
  void change_priority(std::uint16_t p, change_priority_args args,
                       callback<std::int32_t> done) override {
    to_partition<std::int32_t>(p, std::move(done), priority_atom::value, std::move(args));
  }
  void revoke_lease(std::uint16_t p, revoke_lease_args args, callback<revoke_outcome> done) override {
    to_partition<revoke_outcome>(p, std::move(done), revoke_atom::value, std::move(args));
  }
  void issue_reclaim_grant(std::uint16_t p, claim_grant_args args,
                           callback<reclaim_grant_outcome> done) override {
    to_partition<reclaim_grant_outcome>(p, std::move(done), reclaim_atom::value, std::move(args));
  }

  void read_attempt_stream(std::uint16_t p, read_stream_args args,
                           callback<stream_frames> done) override {
    if (!stream_ops_.try_acquire()) return refuse_stream_op(done);
    to_partition<stream_frames>(p, release_stream_op(std::move(done)), read_stream_atom::value,
                                std::move(args));
  }

  void tail_attempt_stream(std::uint16_t p, tail_stream_args args,
                           callback<stream_frames> done) override {
    if (p >= partitions_) {
      done(engine_error::invalid_input("partition is not below the partition count"));
      return;
    }
    if (!stream_ops_.try_acquire()) return refuse_stream_op(done);
    // A tail blocks its connection for up to block_ms: it gets a backend
    // actor (and connection) of its own, gone when the tail is answered.
    if (health_->down()) return done(engine_error::store_unavailable(health_->snapshot().reason));
    auto tailer = sys_.spawn<caf::detached>(backend_actor_behavior, factory_, &metrics_, health_);
    auto wait = std::chrono::milliseconds(args.block_ms) + timeout_;
    ask<stream_frames>(tailer, wait,
                       [tailer, done = release_stream_op(std::move(done))](
                         expected<stream_frames> r) mutable {
                         caf::anon_send_exit(tailer, caf::exit_reason::user_shutdown);
                         done(std::move(r));
                       },
                       tail_atom::value, std::move(args));
  }

  void suspend_execution(std::uint16_t p, suspend_args args,
                         callback<suspend_outcome> done) override {
    to_partition<suspend_outcome>(p, std::move(done), suspend_atom::value, std::move(args));
  }
  void create_pending_waitpoint(std::uint16_t p, create_pending_waitpoint_args args,
                                callback<waitpoint_binding> done) override {
    to_partition<waitpoint_binding>(p, std::move(done), pending_wp_atom::value, std::move(args));
  }
  void deliver_signal(std::uint16_t p, deliver_signal_args args, std::string token,
                      callback<deliver_signal_outcome> done) override {
    to_partition<deliver_signal_outcome>(p, std::move(done), signal_atom::value, std::move(args),
                                         std::move(token));
  }
  void list_pending_waitpoints(std::uint16_t p, list_pending_waitpoints_args args,
                               callback<pending_waitpoint_page> done) override {
    to_partition<pending_waitpoint_page>(p, std::move(done), list_wp_atom::value,
                                         std::move(args));
  }
  void get_waitpoint_token(std::uint16_t p, std::string eid, std::string wpid,
                           callback<std::string> done) override {
    to_partition<std::string>(p, std::move(done), token_atom::value, std::move(eid),
                              std::move(wpid));
  }

  void rotate_waitpoint_secret(std::string kid, std::string secret,
                               callback<rotation_report> done) override {
    auto snap = table_->snapshot();
    if (!snap) {
      done(engine_error::unavailable("shutting down"));
      return;
    }
    bool idle = false;
    if (!rotating_.compare_exchange_strong(idle, true)) {
      metrics_.queue_rejected("admin_rotate");
      done(engine_error::resource_exhausted("admin_rotate", 1));
      return;
    }
    // One coordinator asks every partition (each rotation is idempotent on
    // the same kid and secret) and reports which ones failed.
    auto grace = grace_ms_;
    auto finish = [this, done = std::move(done)](expected<rotation_report> r) {
      rotating_.store(false);
      done(std::move(r));
    };
    // The snapshot travels as the spawn argument: CAF 0.17 dereferences a
    // null argument tuple when an actor is spawned with none (UBSan).
    sys_.spawn([kid, secret, grace, finish](caf::event_based_actor* self,
                                            std::shared_ptr<const routes> snap) {
      auto report = std::make_shared<rotation_report>();
      report->new_kid = kid;
      auto remaining = std::make_shared<std::size_t>(snap->partitions.size());
      auto one_done = [report, remaining, finish]() {
        if (--*remaining > 0) return;
        std::sort(report->failed.begin(), report->failed.end());
        finish(*report);
      };
      if (*remaining == 0) return finish(*report);
      for (std::size_t i = 0; i < snap->partitions.size(); ++i) {
        auto p = static_cast<std::uint16_t>(i);
        self->request(snap->partitions[i], std::chrono::seconds(120), rotate_atom::value, p, kid,
                      secret, grace)
          .then(
            [report, p, one_done](reply<rotate_secret_outcome>& r) {
              if (r.ok) ++report->rotated;
              else report->failed.push_back(p);
              one_done();
            },
            [report, p, one_done](caf::error&) {
              report->failed.push_back(p);
              one_done();
            });
      }
    }, snap);
  }

private:
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

  template <class T, class... Ts>
  void to_partition(std::uint16_t p, callback<T> done, Ts&&... msg) {
    auto snap = table_->snapshot();
    if (!snap) {
      done(engine_error::unavailable("shutting down"));
      return;
    }
    if (p >= snap->partitions.size()) {
      done(engine_error::invalid_input("partition " + std::to_string(p) +
                                       " is not below the partition count " +
                                       std::to_string(snap->partitions.size())));
      return;
    }
    ask<T>(snap->partitions[p], timeout_, std::move(done), std::forward<Ts>(msg)...);
  }

  template <class T, class... Ts>
  void to_backend(callback<T> done, Ts&&... msg) {
    auto snap = table_->snapshot();
    if (!snap || snap->backends.empty()) {
      done(engine_error::unavailable("shutting down"));
      return;
    }
    auto i = next_backend_.fetch_add(1, std::memory_order_relaxed) % snap->backends.size();
    ask<T>(snap->backends[i], timeout_, std::move(done), std::forward<Ts>(msg)...);
  }

  template <class T, class Atom>
  void to_lane(dispatch_request req, callback<T> done, Atom atom) {
    req.wait_ms = std::min(req.wait_ms, max_wait_ms);
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
    ask<T>(lane, wait, std::move(done), atom, std::move(req));
  }

  // The answer of one ask, or its timeout, whichever comes first.
  template <class T>
  class gateway_call final : public pending_call {
  public:
    gateway_call(std::chrono::milliseconds timeout, callback<T> done)
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
    auto call = std::make_shared<gateway_call<T>>(timeout, std::move(done));
    watchdog_.watch(call);
    // Runs once, so the arguments (payloads included) move into the message.
    auto args = std::make_tuple(std::move(msg)...);
    relays_.post(relay_job{[target, call, args = std::move(args)](
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
  std::uint64_t grace_ms_;
  std::atomic<bool> rotating_{false};
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

// The scanners of this milestone and the variables that set their intervals
// (rest-api.md §4); an interval of 0 turns a scanner off.
std::vector<scanner_settings> scanners_from(const node_config& cfg) {
  struct entry { scan_kind kind; const char* variable; std::uint32_t batch; };
  const entry table[] = {
    {scan_kind::expire_leases, "FF_LEASE_EXPIRY_INTERVAL_MS", 50},
    {scan_kind::promote_delayed, "FF_DELAYED_PROMOTER_INTERVAL_MS", 50},
    {scan_kind::expire_attempt_timeouts, "FF_ATTEMPT_TIMEOUT_INTERVAL_S", 50},
    {scan_kind::expire_execution_deadlines, "FF_EXECUTION_DEADLINE_INTERVAL_S", 50},
    {scan_kind::trim_retention, "FF_RETENTION_TRIMMER_INTERVAL_S", 100},
    {scan_kind::reconcile_indexes, "FF_INDEX_RECONCILER_INTERVAL_S", 200},
    {scan_kind::expire_suspensions, "FF_SUSPENSION_TIMEOUT_INTERVAL_S", 50},
    {scan_kind::expire_pending_waitpoints, "FF_PENDING_WP_EXPIRY_INTERVAL_S", 100},
  };
  std::vector<scanner_settings> out;
  for (const auto& e : table) {
    auto it = cfg.scanner_intervals_ms.find(e.variable);
    if (it == cfg.scanner_intervals_ms.end() || it->second == 0) continue;
    scanner_settings s;
    s.kind = e.kind;
    s.interval = std::chrono::milliseconds(it->second);
    s.batch = e.batch;
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
  caf::actor node;
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
    settings.backend_pool_size = c.backend_pool_size;
    settings.partition_queue_bound = c.partition_queue_bound;
    settings.lanes = c.lanes;
    settings.boot_lanes = c.lanes;
    for (auto& lane : lanes_with_work)
      if (std::find(c.lanes.begin(), c.lanes.end(), lane) == c.lanes.end())
        settings.boot_lanes.push_back(std::move(lane));
    settings.scanners = scanners_from(c);
    settings.health = health;
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
