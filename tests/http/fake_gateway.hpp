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
    fail_outcome fail{fail_disposition::failed, 0, false};
    replay_outcome replay{public_state_kind::waiting, 1};
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

  void ping(callback<unit> done) override {
    answer<unit>(std::move(done), [] { return unit{}; });
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

protected:
  void submit(std::unique_ptr<gateway_operation> op) override {
    auto partition = op->partition;
    visit_gateway_operation(*op, [&](auto& typed) { serve(typed, partition); });
  }

private:
  template <class Op>
  void serve(gateway_call<Op>& c, std::uint16_t p) {
    answer<op_result_t<Op>>(std::move(c.done), [this, p, args = std::move(c.args)]() {
      return respond(op_tag<Op>{}, p, args);
    });
  }
  template <class Op>
  void serve(gateway_dispatch<Op>& d, std::uint16_t) {
    answer<op_result_t<Op>>(std::move(d.done), [this, req = std::move(d.request)]() {
      return respond(op_tag<Op>{}, req);
    });
  }

  // Each respond runs under the lock and records the call. An operation
  // the HTTP layer never calls is not faked.
  template <class Op, class Args>
  expected<op_result_t<Op>> respond(op_tag<Op>, std::uint16_t, const Args&) {
    return engine_error::internal(std::string("fake_gateway: ") + Op::name + " is not faked");
  }

  expected<create_execution_outcome> respond(op_tag<ops::create_execution>, std::uint16_t,
                                             const create_execution_args& args) {
    bool duplicate = false;
    for (auto& c : created_) duplicate = duplicate || c.execution_id == args.execution_id;
    create_execution_outcome out;
    out.execution_id = args.execution_id.value;
    out.created = !duplicate;
    out.public_state = args.delay_until ? public_state_kind::delayed : public_state_kind::waiting;
    if (!duplicate) created_.push_back(args);
    return out;
  }
  expected<execution_info> respond(op_tag<ops::get_execution>, std::uint16_t,
                                   const execution_id& id) {
    auto it = infos_.find(id.value);
    if (it == infos_.end()) return classify_store_error("execution_not_found", "");
    return it->second;
  }
  expected<std::string> respond(op_tag<ops::get_execution_state>, std::uint16_t,
                                const execution_id& id) {
    auto it = infos_.find(id.value);
    if (it == infos_.end()) return classify_store_error("execution_not_found", "");
    return it->second.state.public_state;
  }
  expected<execution_result> respond(op_tag<ops::get_execution_result>, std::uint16_t,
                                     const execution_id& id) {
    execution_result r;
    auto it = results_.find(id.value);
    if (it != results_.end()) {
      r.found = true;
      r.bytes = it->second;
    }
    return r;
  }
  expected<execution_page> respond(op_tag<ops::list_executions>, std::uint16_t,
                                   const list_executions_args& args) {
    last_list_ = args;
    execution_page page;
    page.execution_ids = {"{fp:1}:00000000-0000-4000-8000-000000000001"};
    return page;
  }

  expected<acquire_outcome> respond(op_tag<ops::acquire_next_in_lane>,
                                    const dispatch_request& req) {
    calls_.acquire.push_back(req);
    return canned_.acquire;
  }
  expected<grant_outcome> respond(op_tag<ops::grant_next_in_lane>, const dispatch_request& req) {
    calls_.grant.push_back(req);
    return canned_.grant;
  }
  expected<claimed_lease> respond(op_tag<ops::claim_execution>, std::uint16_t p,
                                  const claim_execution_args& args) {
    calls_.claim.emplace_back(p, args);
    return canned_.lease;
  }
  expected<renew_outcome> respond(op_tag<ops::renew_lease>, std::uint16_t p,
                                  const renew_lease_args& args) {
    calls_.renew.emplace_back(p, args);
    return canned_.renew;
  }
  expected<complete_outcome> respond(op_tag<ops::complete_execution>, std::uint16_t p,
                                     const complete_args& args) {
    calls_.complete.emplace_back(p, args);
    return complete_outcome{};
  }
  expected<fail_outcome> respond(op_tag<ops::fail_execution>, std::uint16_t p,
                                 const fail_args& args) {
    calls_.fail.emplace_back(p, args);
    return canned_.fail;
  }
  expected<unit> respond(op_tag<ops::update_progress>, std::uint16_t p,
                         const progress_args& args) {
    calls_.progress.emplace_back(p, args);
    return unit{};
  }
  expected<append_frame_outcome> respond(op_tag<ops::append_frame>, std::uint16_t p,
                                         const append_frame_args& args) {
    calls_.append.emplace_back(p, args);
    append_frame_outcome out;
    out.frame_count = ++frame_count_;
    out.entry_id = "1700000000000-" + std::to_string(frame_count_ - 1);
    if (!args.summary_patch.empty()) out.summary_version = ++summary_version_;
    return out;
  }
  expected<worker_liveness> respond(op_tag<ops::register_worker>, std::uint16_t,
                                    const register_worker_args& args) {
    calls_.heartbeat.push_back(args);
    return canned_.liveness;
  }
  expected<cancel_outcome> respond(op_tag<ops::cancel_execution>, std::uint16_t p,
                                   const cancel_args& args) {
    calls_.cancel.emplace_back(p, args);
    return cancel_outcome{"active", false};
  }
  expected<replay_outcome> respond(op_tag<ops::replay_execution>, std::uint16_t p,
                                   const replay_args& args) {
    calls_.replay.emplace_back(p, args);
    return canned_.replay;
  }
  expected<std::int32_t> respond(op_tag<ops::change_priority>, std::uint16_t p,
                                 const change_priority_args& args) {
    calls_.priority.emplace_back(p, args);
    return args.priority;
  }
  expected<revoke_outcome> respond(op_tag<ops::revoke_lease>, std::uint16_t p,
                                   const revoke_lease_args& args) {
    calls_.revoke.emplace_back(p, args);
    return canned_.revoke;
  }
  expected<reclaim_grant_outcome> respond(op_tag<ops::issue_reclaim_grant>, std::uint16_t p,
                                          const claim_grant_args& args) {
    calls_.reclaim.emplace_back(p, args);
    return canned_.reclaim;
  }
  expected<stream_frames> respond(op_tag<ops::read_attempt_stream>, std::uint16_t p,
                                  const read_stream_args& args) {
    calls_.read.emplace_back(p, args);
    return canned_.frames;
  }
  expected<stream_frames> respond(op_tag<ops::tail_attempt_stream>, std::uint16_t p,
                                  const tail_stream_args& args) {
    calls_.tail.emplace_back(p, args);
    return canned_.frames;
  }
  expected<suspend_outcome> respond(op_tag<ops::suspend_execution>, std::uint16_t p,
                                    const suspend_args& args) {
    calls_.suspend.emplace_back(p, args);
    return canned_.suspend;
  }
  expected<waitpoint_binding> respond(op_tag<ops::create_pending_waitpoint>, std::uint16_t p,
                                      const create_pending_waitpoint_args& args) {
    calls_.pending_waitpoint.emplace_back(p, args);
    return canned_.pending_waitpoint;
  }
  // Like the node: an empty token is missing_token before anything else.
  expected<deliver_signal_outcome> respond(op_tag<ops::deliver_signal>, std::uint16_t p,
                                           const signal_delivery& d) {
    calls_.signal.push_back({p, d.signal, d.token});
    if (d.token.empty()) return classify_store_error("missing_token", "");
    return canned_.signal;
  }
  expected<pending_waitpoint_page> respond(op_tag<ops::list_pending_waitpoints>, std::uint16_t p,
                                           const list_pending_waitpoints_args& args) {
    calls_.list_pending.emplace_back(p, args);
    return canned_.pending_page;
  }
  expected<std::string> respond(op_tag<ops::get_waitpoint_token>, std::uint16_t p,
                                const waitpoint_ref& ref) {
    calls_.token.emplace_back(p, ref.execution_id.value, ref.waitpoint_id);
    if (canned_.token.empty()) return engine_error::not_found("waitpoint token");
    return canned_.token;
  }

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
