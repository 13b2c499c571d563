#include "spawn.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "http_client.hpp"

namespace ffbench {

namespace fs = std::filesystem;
using ff::local::basic_env;
using ff::local::child_exited;
using ff::local::find_on_path;
using ff::local::free_loopback_port;
using ff::local::make_temp_dir;
using ff::local::redis_process;
using ff::local::start_child;
using ff::local::stop_child;

namespace {

std::string random_hex(std::size_t bytes) {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    auto b = rd() & 0xff;
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

} // namespace

std::string default_node_binary() {
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "ff-node";
  return (self.parent_path() / "ff-node").string();
}

spawned_stack::spawned_stack(const bench_options& o) : dir_(make_temp_dir("ff-bench-")) {
  try {
    start_redis(o);
    start_node(o);
  } catch (...) {
    stop();
    throw;
  }
}

spawned_stack::~spawned_stack() { stop(); }

void spawned_stack::stop() {
  stop_child(node_pid_, std::chrono::seconds(15));
  redis_.reset();  // stops it with a 5 s grace
  if (!dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    dir_.clear();
  }
}

std::string spawned_stack::tail(const std::string& file) const {
  std::ifstream in(dir_ + "/" + file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  return s.size() > 4000 ? s.substr(s.size() - 4000) : s;
}

void spawned_stack::start_redis(const bench_options& o) {
  std::string binary = o.redis_server;
  if (binary.empty()) {
    const char* configured = std::getenv("FF_REDIS_SERVER");
    binary = configured && *configured ? configured : "redis-server";
  }
  // A benchmark store: no snapshots, no AOF, unless --redis-arg says so
  // (later arguments win in redis-server).
  std::vector<std::string> args{"--appendonly", "no"};
  args.insert(args.end(), o.redis_args.begin(), o.redis_args.end());
  redis_ = std::make_unique<redis_process>(
      redis_process::options{find_on_path(binary), dir_, args, o.pin_redis});
}

void spawned_stack::start_node(const bench_options& o) {
  std::string binary = o.node_binary.empty() ? default_node_binary() : o.node_binary;
  if (access(binary.c_str(), X_OK) != 0)
    throw std::runtime_error("ff-node binary not found at " + binary + " (use --node-binary)");
  for (int attempt = 1;; ++attempt) {
    node_port_ = free_loopback_port();
    std::vector<std::string> env = basic_env();
    env.push_back("FF_HOST=127.0.0.1");
    env.push_back("FF_PORT=" + std::to_string(redis_->port()));
    env.push_back("FF_WAITPOINT_HMAC_SECRET=" + random_hex(32));
    env.push_back("FF_LISTEN_ADDR=127.0.0.1:" + std::to_string(node_port_));
    env.push_back("FF_LANES=" + o.lane);
    env.push_back("FF_LOG_LEVEL=warn");
    // A --node-env entry replaces the default of the same name (with
    // duplicates, getenv would see whichever comes first).
    for (const auto& kv : o.node_env) {
      auto name = kv.substr(0, kv.find('=') + 1);
      for (auto it = env.begin(); it != env.end();)
        it = it->rfind(name, 0) == 0 ? env.erase(it) : it + 1;
    }
    env.insert(env.end(), o.node_env.begin(), o.node_env.end());
    node_pid_ = start_child({{binary}, env, dir_, dir_ + "/node.log", o.pin_node});

    http_target t;
    t.endpoint = {boost::asio::ip::make_address("127.0.0.1"), node_port_};
    t.host_header = "127.0.0.1:" + std::to_string(node_port_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool up = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (child_exited(node_pid_)) {
        node_pid_ = -1;
        break;
      }
      if (sync_get_status(t, "/healthz", std::chrono::milliseconds(500)) == 200) {
        up = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (up) return;
    stop_child(node_pid_, std::chrono::seconds(5));
    // Retry only when the node lost its port to someone else.
    auto log = tail("node.log");
    if (attempt == 3 || log.find("ddress already in use") == std::string::npos)
      throw std::runtime_error("ff-node did not become healthy:\n" + log);
  }
}

} // namespace ffbench
