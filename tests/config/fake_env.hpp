#pragma once
// An injected environment for parse_config, so tests never touch the
// process environment.

#include <map>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace ff::test {

inline const std::string test_secret(64, 'a');

struct fake_env {
  std::map<std::string, std::string> vars;

  static std::optional<std::string> lookup(const char* name, void* ctx) {
    auto* self = static_cast<fake_env*>(ctx);
    auto it = self->vars.find(name);
    if (it == self->vars.end()) return std::nullopt;
    return it->second;
  }

  config_parse_result parse(const std::vector<std::string>& args = {}) {
    std::vector<const char*> argv{"ff-node"};
    for (const auto& a : args) argv.push_back(a.c_str());
    return parse_config(static_cast<int>(argv.size()), argv.data(), &lookup, this);
  }

  // Parses and expects success.
  node_config config(const std::vector<std::string>& args = {}) {
    auto r = parse(args);
    if (!r.config) throw std::runtime_error("unexpected parse failure: " + r.error);
    return *r.config;
  }
};

// The smallest environment a production node starts with.
inline fake_env valid_env(std::map<std::string, std::string> extra = {}) {
  fake_env env;
  env.vars["FF_WAITPOINT_HMAC_SECRET"] = test_secret;
  for (auto& [k, v] : extra) env.vars[k] = v;
  return env;
}

} // namespace ff::test
