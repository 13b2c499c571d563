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

private:
  // Computes the answer under the lock (on the calling thread, so the
  // recorded state is visible at once) and delivers it from the worker.
  template <class T, class F>
  void answer(callback<T> done, F compute) {
    std::lock_guard<std::mutex> lk(mu_);
    std::optional<expected<T>> result;
    if (next_error_) {
      result.emplace(std::move(*next_error_));
      next_error_.reset();
    } else {
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
  std::vector<create_execution_args> created_;
  std::optional<list_executions_args> last_list_;
  std::map<std::string, execution_info> infos_;
  std::map<std::string, std::string> results_;
  std::thread worker_;
};

} // namespace ff::test
