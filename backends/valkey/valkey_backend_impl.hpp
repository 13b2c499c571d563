#pragma once
// engine_backend on one Valkey / Redis connection. Each public operation is
// one FCALL of the Lua function with the operation's name
// (create_execution -> ff_create_execution), built with call_function().
// Private to backends/; the rest of the code uses make_valkey_backend().

#include <string>
#include <vector>

#include "backends/engine_backend.hpp"
#include "backends/valkey/redis_connection.hpp"
#include "backends/valkey/server_info.hpp"
#include "backends/valkey/valkey_backend.hpp"

namespace ff {

class valkey_backend final : public engine_backend {
public:
  explicit valkey_backend(valkey_options opts);

  const char* name() const override { return "valkey"; }
  expected<backend_boot_report> prepare(const backend_boot_options& opts) override;
  expected<unit> ping() override;

  expected<create_execution_outcome> create_execution(const create_execution_args& args) override;
  expected<execution_info> get_execution(const std::string& execution_id) override;
  expected<std::string> get_execution_state(const std::string& execution_id) override;
  expected<execution_result> get_execution_result(const std::string& execution_id) override;
  expected<execution_page> list_executions(const list_executions_args& args) override;

  // The boot steps prepare() runs, in this order.
  expected<server_identity> read_server_identity();
  // FCALL ff_version: the loaded library's version, "" when none is loaded.
  expected<std::string> loaded_library_version();
  // FUNCTION LOAD REPLACE of the embedded library.
  expected<unit> load_library();
  // ff_init_partition_config: true when this call wrote the record.
  expected<bool> init_partition_config(const partition_counts& counts);
  // Lane registry: SADD ff:idx:lanes, HSETNX ff:lane:<lane>:config created_at.
  expected<unit> seed_lanes(const std::vector<std::string>& lanes);

private:
  redis_connection conn_;
};

} // namespace ff
