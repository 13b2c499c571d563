#pragma once
// Finds the lane actor of a lane, spawning it on first use: lanes are
// configured (FF_LANES) but executions may name any valid lane. Shared by
// the partition actors (which report ready work) and the gateway (which
// sends claims); safe to call from any thread.
//
// Lanes outside FF_LANES are bounded (FF_MAX_LANES counts every lane) and
// retire when idle (lane_actor.hpp), so a client naming a new lane per
// request cannot grow the node without limit, and the scanners, which walk
// `names()`, cost what the lanes in use cost.

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "core/metrics_sink.hpp"

namespace ff {

class lane_directory {
public:
  // Spawns the actor of `lane`; `configured` lanes never retire.
  using spawner = std::function<lane_actor(const std::string& lane, bool configured)>;

  enum class lookup { found, shutting_down, too_many_lanes };

  lane_directory(spawner spawn, std::size_t max_lanes, metrics_sink* metrics = nullptr)
      : spawn_(std::move(spawn)), max_lanes_(max_lanes), metrics_(metrics) {}

  // Every lane actor spawned from now on is reported to `node`, which
  // monitors it and replaces it if it dies.
  void supervise_with(node_actor node) {
    std::lock_guard<std::mutex> guard(mutex_);
    supervisor_ = std::move(node);
  }

  // Spawns the configured lanes (at boot); they count against max_lanes.
  void configure(const std::vector<std::string>& lanes) {
    std::lock_guard<std::mutex> guard(mutex_);
    for (const auto& lane : lanes) {
      configured_.insert(lane);
      if (!lanes_.count(lane) && spawn_) lanes_.emplace(lane, spawn_supervised(lane));
    }
    report();
  }

  // The lane's actor, spawned on first use. Empty when shutting down or
  // when the node already serves max_lanes lanes; `why` says which.
  lane_actor get(const std::string& lane, lookup* why = nullptr) {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = lanes_.find(lane);
    if (it != lanes_.end()) return answer(why, lookup::found, it->second);
    if (!spawn_) return answer(why, lookup::shutting_down, {});
    if (lanes_.size() >= max_lanes_) return answer(why, lookup::too_many_lanes, {});
    auto actor = spawn_supervised(lane);
    lanes_.emplace(lane, actor);
    report();
    return answer(why, lookup::found, actor);
  }

  // Forgets `lane` if it is still served by `actor` (a retiring lane actor
  // calls this; the next get() spawns a fresh one). Configured lanes stay.
  bool retire(const std::string& lane, const lane_actor& actor) {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = lanes_.find(lane);
    if (it == lanes_.end() || it->second != actor || configured_.count(lane)) return false;
    lanes_.erase(it);
    report();
    return true;
  }

  // Replaces the lane's actor if it is still `dead` (an actor that failed);
  // the fresh one starts with empty ready sets, which the node rebuilds.
  bool replace(const std::string& lane, const caf::actor_addr& dead) {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = lanes_.find(lane);
    if (it == lanes_.end() || it->second.address() != dead || !spawn_) return false;
    it->second = spawn_supervised(lane);
    return true;
  }

  std::vector<lane_actor> all() {
    std::lock_guard<std::mutex> guard(mutex_);
    std::vector<lane_actor> out;
    for (auto& [name, actor] : lanes_) out.push_back(actor);
    return out;
  }

  // The lanes served now: the configured ones and those in recent use.
  std::vector<std::string> names() {
    std::lock_guard<std::mutex> guard(mutex_);
    std::vector<std::string> out;
    for (auto& [name, actor] : lanes_) out.push_back(name);
    return out;
  }

  std::size_t max_lanes() const { return max_lanes_; }

  // Forgets every lane actor (at shutdown), returning them to be stopped.
  std::vector<lane_actor> clear() {
    std::lock_guard<std::mutex> guard(mutex_);
    std::vector<lane_actor> out;
    for (auto& [name, actor] : lanes_) out.push_back(actor);
    lanes_.clear();
    spawn_ = nullptr;
    supervisor_ = nullptr;
    return out;
  }

private:
  static lane_actor answer(lookup* why, lookup what, lane_actor actor) {
    if (why) *why = what;
    return actor;
  }
  lane_actor spawn_supervised(const std::string& lane) {
    auto actor = spawn_(lane, configured_.count(lane) > 0);
    if (supervisor_) caf::anon_send(supervisor_, watch_atom::value, lane, actor);
    return actor;
  }
  void report() {
    if (metrics_) metrics_->lanes_served(lanes_.size());
  }

  std::mutex mutex_;
  spawner spawn_;
  std::size_t max_lanes_;
  metrics_sink* metrics_;
  std::set<std::string> configured_;
  std::map<std::string, lane_actor> lanes_;
  node_actor supervisor_;
};

} // namespace ff
