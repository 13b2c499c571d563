#include "actors/runtime.hpp"

#include <atomic>
#include <thread>

#include <caf/io/all.hpp>

#include "actors/node_actor.hpp"

namespace ff {

namespace {

// The engine_gateway on top of the actor system. Each call spawns a
// short-lived event-based actor that asks the target and hands the reply to
// the callback, so the calling (asio) thread never waits.
class caf_gateway final : public engine_gateway {
public:
  caf_gateway(caf::actor_system& sys, std::shared_ptr<routing_table> table,
              std::uint16_t partitions, std::chrono::milliseconds timeout)
      : sys_(sys), table_(std::move(table)), partitions_(partitions), timeout_(timeout) {}

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
  void ping(callback<unit> done) override {
    auto snap = table_->snapshot();
    if (!snap || snap->backends.empty()) {
      done(engine_error::unavailable("shutting down"));
      return;
    }
    auto i = next_backend_.fetch_add(1, std::memory_order_relaxed) % snap->backends.size();
    ask<unit>(snap->backends[i], std::move(done), ping_atom::value);
  }

private:
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
    ask<T>(snap->partitions[p], std::move(done), std::forward<Ts>(msg)...);
  }

  template <class T, class Handle, class... Ts>
  void ask(const Handle& target, callback<T> done, Ts... msg) {
    auto timeout = timeout_;
    sys_.spawn([target, done = std::move(done), timeout, msg...](caf::event_based_actor* self) {
      self->request(target, timeout, msg...)
        .then([done](reply<T>& r) { done(std::move(r).to_expected()); },
              [done, self](caf::error& err) {
                if (err == caf::sec::request_timeout)
                  done(engine_error::timeout("no answer from the engine in time"));
                else
                  done(engine_error::unavailable(self->system().render(err)));
              });
    });
  }

  caf::actor_system& sys_;
  std::shared_ptr<routing_table> table_;
  std::uint16_t partitions_;
  std::chrono::milliseconds timeout_;
  std::atomic<std::size_t> next_backend_{0};
};

caf::actor_system_config& configure(caf::actor_system_config& cfg) {
  add_message_types(cfg);
  cfg.load<caf::io::middleman>();
  return cfg;
}

} // namespace

struct actor_runtime::impl {
  caf::actor_system_config cfg;
  caf::actor_system system;
  std::shared_ptr<routing_table> table = std::make_shared<routing_table>();
  caf::actor node;
  std::unique_ptr<caf_gateway> gateway;
  bool stopped = false;

  impl(const node_config& c, backend_factory factory, metrics_sink& metrics)
      : system(configure(cfg)) {
    node_settings settings;
    settings.flow_partitions = c.flow_partitions;
    settings.backend_pool_size = c.backend_pool_size;
    settings.partition_queue_bound = c.partition_queue_bound;
    node = system.spawn(node_actor_behavior, settings, std::move(factory), &metrics, table);
    // The node actor publishes its routing table from its first behavior;
    // wait for it so no request sees an empty table.
    for (int i = 0; i < 5000 && !table->snapshot(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    gateway = std::make_unique<caf_gateway>(system, table, c.flow_partitions,
                                            std::chrono::milliseconds(c.request_timeout_ms));
  }
};

actor_runtime::actor_runtime(const node_config& cfg, backend_factory factory,
                             metrics_sink& metrics)
    : impl_(std::make_unique<impl>(cfg, std::move(factory), metrics)) {}

actor_runtime::~actor_runtime() { shutdown(); }

engine_gateway& actor_runtime::gateway() { return *impl_->gateway; }

void actor_runtime::shutdown() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  caf::anon_send_exit(impl_->node, caf::exit_reason::user_shutdown);
  impl_->system.await_all_actors_done();
}

} // namespace ff
