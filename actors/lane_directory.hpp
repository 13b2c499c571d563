#pragma once
// Finds the lane actor of a lane, spawning it on first use: lanes are
// configured (FF_LANES) but executions may name any valid lane. Shared by
// the partition actors (which report ready work) and the gateway (which
// sends claims); safe to call from any thread.

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "actors/messages.hpp"

namespace ff {

class lane_directory {
public:
  using spawner = std::function<lane_actor(const std::string& lane)>;

  explicit lane_directory(spawner spawn) : spawn_(std::move(spawn)) {}

  lane_actor get(const std::string& lane) {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = lanes_.find(lane);
    if (it != lanes_.end()) return it->second;
    if (!spawn_) return lane_actor{}; // shutting down
    auto actor = spawn_(lane);
    lanes_.emplace(lane, actor);
    return actor;
  }

  std::vector<lane_actor> all() {
    std::lock_guard<std::mutex> guard(mutex_);
    std::vector<lane_actor> out;
    for (auto& [name, actor] : lanes_) out.push_back(actor);
    return out;
  }

  // The lanes seen so far (configured ones are registered at boot).
  std::vector<std::string> names() {
    std::lock_guard<std::mutex> guard(mutex_);
    std::vector<std::string> out;
    for (auto& [name, actor] : lanes_) out.push_back(name);
    return out;
  }

  // Forgets every lane actor (at shutdown), returning them to be stopped.
  std::vector<lane_actor> clear() {
    std::lock_guard<std::mutex> guard(mutex_);
    std::vector<lane_actor> out;
    for (auto& [name, actor] : lanes_) out.push_back(actor);
    lanes_.clear();
    spawn_ = nullptr;
    return out;
  }

private:
  std::mutex mutex_;
  spawner spawn_;
  std::map<std::string, lane_actor> lanes_;
};

} // namespace ff
