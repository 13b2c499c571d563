#include "actors/messages.hpp"

namespace ff {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<engine_error>("ff::engine_error");
  cfg.add_message_type<unit>("ff::unit");
  cfg.add_message_type<create_execution_args>("ff::create_execution_args");
  cfg.add_message_type<create_execution_outcome>("ff::create_execution_outcome");
  cfg.add_message_type<state_vector>("ff::state_vector");
  cfg.add_message_type<execution_info>("ff::execution_info");
  cfg.add_message_type<list_executions_args>("ff::list_executions_args");
  cfg.add_message_type<execution_page>("ff::execution_page");
  cfg.add_message_type<execution_result>("ff::execution_result");
  cfg.add_message_type<reply<create_execution_outcome>>("ff::reply<create_execution_outcome>");
  cfg.add_message_type<reply<execution_info>>("ff::reply<execution_info>");
  cfg.add_message_type<reply<std::string>>("ff::reply<string>");
  cfg.add_message_type<reply<execution_result>>("ff::reply<execution_result>");
  cfg.add_message_type<reply<execution_page>>("ff::reply<execution_page>");
  cfg.add_message_type<reply<unit>>("ff::reply<unit>");
}

} // namespace ff
