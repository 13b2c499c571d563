// The stores of the contract suite. PostgreSQL joins with one more entry.

#include <chrono>

#include "backends/valkey/valkey_backend.hpp"
#include "tests/contract/backend_factory.hpp"
#include "tests/support/redis_server.hpp"

namespace ff::test {

namespace {

// valkey: one private redis-server for the whole test process (started on
// first use, stopped at exit), emptied with FLUSHALL before every test.
// FLUSHALL keeps the function library, so prepare() finds it loaded.
class valkey_store final : public contract_store {
public:
  explicit valkey_store(const redis_server& server) : server_(server) {}

  std::unique_ptr<engine_backend> connect() override {
    valkey_options o;
    o.host = server_.host();
    o.port = server_.port();
    o.connect_timeout = std::chrono::milliseconds(1000);
    o.command_timeout = std::chrono::milliseconds(5000);
    return make_valkey_backend(o);
  }

private:
  const redis_server& server_;
};

std::unique_ptr<contract_store> open_valkey_store() {
  static redis_server server;
  if (!server.running())
    server.start();
  const std::string flushed = server.command({"FLUSHALL", "SYNC"});
  REQUIRE_MESSAGE(flushed == "+OK", "FLUSHALL: " << flushed);
  return std::make_unique<valkey_store>(server);
}

} // namespace

const std::vector<backend_factory>& backend_factories() {
  static const std::vector<backend_factory> factories = {
      {"valkey", open_valkey_store},
  };
  return factories;
}

} // namespace ff::test
