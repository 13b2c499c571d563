#include "backends/valkey/function_call.hpp"

namespace ff {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

engine_error transport_class(std::string code, std::string detail, bool retryable) {
  engine_error e = engine_error::transport(std::move(detail));
  e.code = std::move(code);
  e.retryable = retryable;
  return e;
}

std::string value_text(const redis_value& v) {
  if (v.is_string())
    return v.str;
  if (v.kind == redis_value::type::integer)
    return std::to_string(v.integer);
  return {};
}

} // namespace

std::string lua_envelope::field(std::size_t i) const {
  return i < fields.size() ? value_text(fields[i]) : std::string();
}

std::string lua_envelope::detail() const {
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty())
      out += ' ';
    out += value_text(f);
  }
  return out;
}

engine_error classify_redis_error_reply(std::string_view op, const std::string& message) {
  const std::string where = "redis error from " + std::string(op) + ": " + message;
  // The codes follow the backend kinds of rest-api.md §1.4.
  if (starts_with(message, "BUSY") || starts_with(message, "LOADING"))
    return transport_class("busy_loading", where, true);
  if (starts_with(message, "NOSCRIPT") || message.find("Function not found") != std::string::npos ||
      message.find("Library not found") != std::string::npos)
    return transport_class("script_not_loaded",
                           where + " (the flowfabric library is not loaded; restart the node "
                                   "or run its prepare step)",
                           false);
  if (starts_with(message, "TRYAGAIN") || starts_with(message, "CLUSTERDOWN") ||
      starts_with(message, "MOVED") || starts_with(message, "ASK") ||
      starts_with(message, "MASTERDOWN") || starts_with(message, "READONLY"))
    return transport_class("cluster", where, true);
  if (starts_with(message, "OOM"))
    return transport_class("transport", where, true);
  if (starts_with(message, "NOAUTH") || starts_with(message, "WRONGPASS") ||
      starts_with(message, "NOPERM"))
    return transport_class("auth", where, false);
  return engine_error::internal(where);
}

namespace {

// The envelope of one function's reply.
expected<lua_envelope> parse_envelope(std::string_view function, redis_value& r) {
  if (r.is_error())
    return classify_redis_error_reply(function, r.str);
  if (r.kind != redis_value::type::array || r.elements.size() < 2 ||
      r.elements[0].kind != redis_value::type::integer ||
      (r.elements[0].integer != 0 && r.elements[0].integer != 1) || !r.elements[1].is_string())
    return engine_error::internal("malformed reply envelope from " + std::string(function));

  lua_envelope env;
  env.ok = r.elements[0].integer == 1;
  env.status = std::move(r.elements[1].str);
  env.fields.assign(std::make_move_iterator(r.elements.begin() + 2),
                    std::make_move_iterator(r.elements.end()));
  return env;
}

expected<lua_envelope> classified(expected<lua_envelope> env) {
  if (env && !env->ok)
    return classify_store_error(env->status, env->detail());
  return env;
}

} // namespace

expected<lua_envelope> call_function_raw(redis_connection& conn, std::string_view function,
                                         const std::vector<std::string>& keys,
                                         const std::vector<std::string>& args, call_mode mode) {
  const std::string numkeys = std::to_string(keys.size());
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back(mode == call_mode::read_only ? "FCALL_RO" : "FCALL");
  argv.push_back(function);
  argv.push_back(numkeys);
  for (const auto& k : keys)
    argv.push_back(k);
  for (const auto& a : args)
    argv.push_back(a);

  auto reply = conn.command(argv);
  if (!reply)
    return std::move(reply).error();
  return parse_envelope(function, *reply);
}

expected<std::vector<expected<lua_envelope>>> call_function_pipelined(
    redis_connection& conn, std::string_view function,
    const std::vector<function_call_args>& calls) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size());
  for (const auto& c : calls) {
    std::vector<std::string> argv;
    argv.reserve(3 + c.keys.size() + c.args.size());
    argv.emplace_back("FCALL");
    argv.emplace_back(function);
    argv.push_back(std::to_string(c.keys.size()));
    argv.insert(argv.end(), c.keys.begin(), c.keys.end());
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    commands.push_back(std::move(argv));
  }
  auto replies = conn.pipeline(commands);
  if (!replies)
    return std::move(replies).error();
  std::vector<expected<lua_envelope>> out;
  out.reserve(replies->size());
  for (auto& r : *replies)
    out.push_back(classified(parse_envelope(function, r)));
  return out;
}

expected<lua_envelope> call_function(redis_connection& conn, std::string_view function,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args, call_mode mode) {
  return classified(call_function_raw(conn, function, keys, args, mode));
}

} // namespace ff
