#pragma once
// An engine_gateway for HTTP-layer tests: answers from a background thread
// (as the real actor system does), records the arguments it was given, and
// can hold callbacks back to test draining and dropped replies.

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "actors/engine_gateway.hpp"

namespace ff::test {

class fake_gateway final : public engine_gateway {
public:
  fake_gateway() : worker_([this] { run(); }) {}
  ~fake_gateway() override {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  std::uint16_t partitions = 8;
  std::uint16_t flow_partitions() const override { return partitions; }

  // The next operation fails with this error instead of answering.
  void fail_next(engine_error e) {
    std::lock_guard<std::mutex> lk(mu_);
    next_error_ = std::move(e);
  }
  // The next `successes` operations answer; the one after fails with `e`.
  void fail_after(std::size_t successes, engine_error e) {
    std::lock_guard<std::mutex> lk(mu_);
    fail_after_.emplace(successes, std::move(e));
  }
  // Every gateway call so far (to check that bad input reached nothing).
  std::size_t call_count() {
    std::lock_guard<std::mutex> lk(mu_);
    return call_count_;
  }

  // What the worker, operator and stream methods answer.
  struct canned_answers {
    acquire_outcome acquire;          // acquired=false: 204
    grant_outcome grant;              // granted=false: 204
    claimed_lease lease;              // claim_execution
    renew_outcome renew;
    fail_outcome fail{"failed", 0, false};
    replay_outcome replay{"waiting", 1};
    revoke_outcome revoke;
    reclaim_grant_outcome reclaim;
    worker_liveness liveness{"registered", 0};
    stream_frames frames;             // read and tail
    suspend_outcome suspend;
    waitpoint_binding pending_waitpoint;
    deliver_signal_outcome signal;
    pending_waitpoint_page pending_page;
    std::string token = "k1:" + std::string(64, 'a'); // empty: not_found
    rotation_report rotation;
  };
  template <class F>
  void configure(F f) {
    std::lock_guard<std::mutex> lk(mu_);
    f(canned_);
  }

  // The arguments each method was called with, in call order.
  struct recorded_calls {
    std::vector<dispatch_request> acquire, grant;
    std::vector<std::pair<std::uint16_t, claim_execution_args>> claim;
    std::vector<std::pair<std::uint16_t, renew_lease_args>> renew;
    std::vector<std::pair<std::uint16_t, complete_args>> complete;
    std::vector<std::pair<std::uint16_t, fail_args>> fail;
    std::vector<std::pair<std::uint16_t, progress_args>> progress;
    std::vector<std::pair<std::uint16_t, append_frame_args>> append;
    std::vector<register_worker_args> heartbeat;
    std::vector<std::pair<std::uint16_t, cancel_args>> cancel;
    std::vector<std::pair<std::uint16_t, replay_args>> replay;
    std::vector<std::pair<std::uint16_t, change_priority_args>> priority;
    std::vector<std::pair<std::uint16_t, revoke_lease_args>> revoke;
    std::vector<std::pair<std::uint16_t, claim_grant_args>> reclaim;
    std::vector<std::pair<std::uint16_t, read_stream_args>> read;
    std::vector<std::pair<std::uint16_t, tail_stream_args>> tail;
    std::vector<std::pair<std::uint16_t, suspend_args>> suspend;
    std::vector<std::pair<std::uint16_t, create_pending_waitpoint_args>> pending_waitpoint;
    struct signal_call {
      std::uint16_t partition;
      deliver_signal_args args;
      std::string token;
    };
    std::vector<signal_call> signal;
    std::vector<std::pair<std::uint16_t, list_pending_waitpoints_args>> list_pending;
    // (partition, execution_id, waitpoint_id)
    std::vector<std::tuple<std::uint16_t, std::string, std::string>> token;
    std::vector<std::pair<std::string, std::string>> rotate; // (kid, secret)
  };
  recorded_calls calls() {
    std::lock_guard<std::mutex> lk(mu_);
    return calls_;
  }
  // While held, answers are parked until release_held() or drop_held().
  void hold(bool on) {
    std::lock_guard<std::mutex> lk(mu_);
    hold_ = on;
  }
  std::size_t held_count() {
    std::lock_guard<std::mutex> lk(mu_);
    return held_.size();
  }
  void release_held() {
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lk(mu_);
      tasks.swap(held_);
    }
    for (auto& t : tasks) post(std::move(t), true);
  }
  // Destroys the parked callbacks without calling them.
  void drop_held() {
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lk(mu_);
      tasks.swap(held_);
    }
  }

  std::vector<create_execution_args> created() {
    std::lock_guard<std::mutex> lk(mu_);
    return created_;
  }
  std::optional<list_executions_args> last_list() {
    std::lock_guard<std::mutex> lk(mu_);
    return last_list_;
  }
  void put_info(execution_info info) {
    std::lock_guard<std::mutex> lk(mu_);
    infos_[info.execution_id] = std::move(info);
  }
  void put_result(const std::string& eid, std::string bytes) {
    std::lock_guard<std::mutex> lk(mu_);
    results_[eid] = std::move(bytes);
  }

  void create_execution(create_execution_args args,
                        callback<create_execution_outcome> done) override {
    answer<create_execution_outcome>(std::move(done), [this, args]() {
      bool duplicate = false;
      for (auto& c : created_) duplicate = duplicate || c.execution_id == args.execution_id;
      create_execution_outcome out;
      out.execution_id = args.execution_id;
      out.created = !duplicate;
      out.public_state = args.delay_until ? "delayed" : "waiting";
      if (!duplicate) created_.push_back(args);
      return out;
    });
  }
  void get_execution(std::string id, std::uint16_t, callback<execution_info> done) override {
    answer<execution_info>(std::move(done), [this, id]() -> expected<execution_info> {
      auto it = infos_.find(id);
      if (it == infos_.end()) return classify_store_error("execution_not_found", "");
      return it->second;
    });
  }
  void get_execution_state(std::string id, std::uint16_t, callback<std::string> done) override {
    answer<std::string>(std::move(done), [this, id]() -> expected<std::string> {
      auto it = infos_.find(id);
      if (it == infos_.end()) return classify_store_error("execution_not_found", "");
      return it->second.state.public_state;
    });
  }
  void get_execution_result(std::string id, std::uint16_t,
                            callback<execution_result> done) override {
    answer<execution_result>(std::move(done), [this, id]() {
      execution_result r;
      auto it = results_.find(id);
      if (it != results_.end()) {
        r.found = true;
        r.bytes = it->second;
      }
      return r;
    });
  }
  void list_executions(list_executions_args args, callback<execution_page> done) override {
    answer<execution_page>(std::move(done), [this, args]() {
      last_list_ = args;
      execution_page page;
      page.execution_ids = {"{fp:1}:00000000-0000-4000-8000-000000000001"};
      return page;
    });
  }
  void ping(callback<unit> done) override {
    answer<unit>(std::move(done), [] { return unit{}; });
  }

  void acquire(dispatch_request req, callback<acquire_outcome> done) override {
    answer<acquire_outcome>(std::move(done), [this, req]() {
      calls_.acquire.push_back(req);
      return canned_.acquire;
    });
  }
  void claim_grant(dispatch_request req, callback<grant_outcome> done) override {
    answer<grant_outcome>(std::move(done), [this, req]() {
      calls_.grant.push_back(req);
      return canned_.grant;
    });
  }
  void claim_execution(std::uint16_t p, claim_execution_args args,
                       callback<claimed_lease> done) override {
    answer<claimed_lease>(std::move(done), [this, p, args]() {
      calls_.claim.emplace_back(p, args);
      return canned_.lease;
    });
  }
  void renew_lease(std::uint16_t p, renew_lease_args args, callback<renew_outcome> done) override {
    answer<renew_outcome>(std::move(done), [this, p, args]() {
      calls_.renew.emplace_back(p, args);
      return canned_.renew;
    });
  }
  void complete_execution(std::uint16_t p, complete_args args,
                          callback<complete_outcome> done) override {
    answer<complete_outcome>(std::move(done), [this, p, args]() {
      calls_.complete.emplace_back(p, args);
      return complete_outcome{};
    });
  }
  void fail_execution(std::uint16_t p, fail_args args, callback<fail_outcome> done) override {
    answer<fail_outcome>(std::move(done), [this, p, args]() {
      calls_.fail.emplace_back(p, args);
      return canned_.fail;
    });
  }
  void update_progress(std::uint16_t p, progress_args args, callback<unit> done) override {
    answer<unit>(std::move(done), [this, p, args]() {
      calls_.progress.emplace_back(p, args);
      return unit{};
    });
  }
  void append_frame(std::uint16_t p, append_frame_args args,
                    callback<append_frame_outcome> done) override {
    answer<append_frame_outcome>(std::move(done), [this, p, args]() {
      calls_.append.emplace_back(p, args);
      append_frame_outcome out;
      out.frame_count = ++frame_count_;
      out.entry_id = "1700000000000-" + std::to_string(frame_count_ - 1);
      if (!args.summary_patch.empty()) out.summary_version = ++summary_version_;
      return out;
    });
  }
  void heartbeat_worker(register_worker_args args, callback<worker_liveness> done) override {
    answer<worker_liveness>(std::move(done), [this, args]() {
      calls_.heartbeat.push_back(args);
      return canned_.liveness;
    });
  }
  void cancel_execution(std::uint16_t p, cancel_args args, callback<cancel_outcome> done) override {
    answer<cancel_outcome>(std::move(done), [this, p, args]() {
      calls_.cancel.emplace_back(p, args);
      return cancel_outcome{"active", false};
    });
  }
  void replay_execution(std::uint16_t p, replay_args args, callback<replay_outcome> done) override {
    answer<replay_outcome>(std::move(done), [this, p, args]() {
      calls_.replay.emplace_back(p, args);
      return canned_.replay;
    });
  }
  void change_priority(std::uint16_t p, change_priority_args args,
                       callback<std::int32_t> done) override {
    answer<std::int32_t>(std::move(done), [this, p, args]() {
      calls_.priority.emplace_back(p, args);
      return args.priority;
    });
  }
  void revoke_lease(std::uint16_t p, revoke_lease_args args, callback<revoke_outcome> done) override {
    answer<revoke_outcome>(std::move(done), [this, p, args]() {
      calls_.revoke.emplace_back(p, args);
      return canned_.revoke;
    });
  }
  void issue_reclaim_grant(std::uint16_t p, claim_grant_args args,
                           callback<reclaim_grant_outcome> done) override {
    answer<reclaim_grant_outcome>(std::move(done), [this, p, args]() {
      calls_.reclaim.emplace_back(p, args);
      return canned_.reclaim;
    });
  }
  void read_attempt_stream(std::uint16_t p, read_stream_args args,
                           callback<stream_frames> done) override {
    answer<stream_frames>(std::move(done), [this, p, args]() {
      calls_.read.emplace_back(p, args);
      return canned_.frames;
    });
  }
  void tail_attempt_stream(std::uint16_t p, tail_stream_args args,
                           callback<stream_frames> done) override {
    answer<stream_frames>(std::move(done), [this, p, args]() {
      calls_.tail.emplace_back(p, args);
      return canned_.frames;
    });
  }

  void suspend_execution(std::uint16_t p, suspend_args args,
                         callback<suspend_outcome> done) override {
    answer<suspend_outcome>(std::move(done), [this, p, args]() {
      calls_.suspend.emplace_back(p, args);
      return canned_.suspend;
    });
  }
  void create_pending_waitpoint(std::uint16_t p, create_pending_waitpoint_args args,
                                callback<waitpoint_binding> done) override {
    answer<waitpoint_binding>(std::move(done), [this, p, args]() {
      calls_.pending_waitpoint.emplace_back(p, args);
      return canned_.pending_waitpoint;
    });
  }
  // Like the node: an empty token is missing_token before anything else.
  void deliver_signal(std::uint16_t p, deliver_signal_args args, std::string token,
                      callback<deliver_signal_outcome> done) override {
    answer<deliver_signal_outcome>(std::move(done),
                                   [this, p, args, token]() -> expected<deliver_signal_outcome> {
                                     calls_.signal.push_back({p, args, token});
                                     if (token.empty())
                                       return classify_store_error("missing_token", "");
                                     return canned_.signal;
                                   });
  }
  void list_pending_waitpoints(std::uint16_t p, list_pending_waitpoints_args args,
                               callback<pending_waitpoint_page> done) override {
    answer<pending_waitpoint_page>(std::move(done), [this, p, args]() {
      calls_.list_pending.emplace_back(p, args);
      return canned_.pending_page;
    });
  }
  void get_waitpoint_token(std::uint16_t p, std::string execution_id, std::string waitpoint_id,
                           callback<std::string> done) override {
    answer<std::string>(std::move(done),
                        [this, p, execution_id, waitpoint_id]() -> expected<std::string> {
                          calls_.token.emplace_back(p, execution_id, waitpoint_id);
                          if (canned_.token.empty())
                            return engine_error::not_found("waitpoint token");
                          return canned_.token;
                        });
  }
  void rotate_waitpoint_secret(std::string new_kid, std::string secret_hex,
                               callback<rotation_report> done) override {
    answer<rotation_report>(std::move(done), [this, new_kid, secret_hex]() {
      calls_.rotate.emplace_back(new_kid, secret_hex);
      auto r = canned_.rotation;
      if (r.new_kid.empty()) r.new_kid = new_kid;
      return r;
    });
  }

private:
  // Computes the answer under the lock (on the calling thread, so the
  // recorded state is visible at once) and delivers it from the worker.
  template <class T, class F>
  void answer(callback<T> done, F compute) {
    std::lock_guard<std::mutex> lk(mu_);
    ++call_count_;
    std::optional<expected<T>> result;
    if (next_error_) {
      result.emplace(std::move(*next_error_));
      next_error_.reset();
    } else if (fail_after_ && fail_after_->first == 0) {
      result.emplace(std::move(fail_after_->second));
      fail_after_.reset();
    } else {
      if (fail_after_) --fail_after_->first;
      result.emplace(compute());
    }
    auto task = [done = std::move(done), r = std::move(*result)]() mutable { done(std::move(r)); };
    if (hold_) held_.emplace_back(std::move(task));
    else queue_.emplace_back(std::move(task));
    cv_.notify_all();
  }

  void post(std::function<void()> task, bool) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      queue_.push_back(std::move(task));
    }
    cv_.notify_all();
  }

  void run() {
    std::unique_lock<std::mutex> lk(mu_);
    while (true) {
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto task = std::move(queue_.front());
      queue_.pop_front();
      lk.unlock();
      task();
      task = nullptr;
      lk.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::function<void()>> held_;
  bool hold_ = false;
  bool stopping_ = false;
  std::optional<engine_error> next_error_;
  std::optional<std::pair<std::size_t, engine_error>> fail_after_;
  std::size_t call_count_ = 0;
  canned_answers canned_;
  recorded_calls calls_;
  std::uint64_t frame_count_ = 0;
  std::uint64_t summary_version_ = 0;
  std::vector<create_execution_args> created_;
  std::optional<list_executions_args> last_list_;
  std::map<std::string, execution_info> infos_;
  std::map<std::string, std::string> results_;
  std::thread worker_;
};

} // namespace ff::test
