#pragma once
// The few REST calls the scenarios make (rest-api.md §3.2, decisions.md
// §5), as request bodies and response parsers, plus the timers every
// asynchronous phase needs.

#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scenario.hpp"

namespace ffbench {

// Every request but the long-poll's wait gets this long.
const auto request_timeout = std::chrono::milliseconds(30000);

struct lease {
  std::string execution_id;
  std::string lease_id;
  std::uint64_t lease_epoch = 0;
  std::uint64_t attempt_index = 0;
};

// `[b0,b1,...]`: the wire form of a byte-array payload.
std::string json_byte_array(const std::string& bytes);
// A JSON string literal (ids, tokens and names hold no control characters).
std::string json_string(const std::string& s);
std::int64_t epoch_ms();

// A create body with no execution_id, so the server mints the id on a
// random partition. The first form uses --lane.
std::string create_body(const bench_options& o, const std::string& payload_json);
std::string create_body(const bench_options& o, const std::string& lane,
                        const std::string& payload_json);
std::string acquire_path(const std::string& worker_id);
std::string acquire_body(const bench_options& o, const std::string& worker_instance_id,
                         int wait_ms);
std::string complete_path(const std::string& execution_id);
// Fence plus an empty base64 result (the reference completes with no result).
std::string complete_body(const lease& l);

// 201 {"Created":{"execution_id":...}} -> the id; nullopt otherwise.
std::optional<std::string> parse_created_id(const std::string& body);
std::optional<lease> parse_lease(const std::string& body);
// The first lease of a complete-with-next answer ({"outcome":..,"next":[..]});
// nullopt when `next` is empty.
std::optional<lease> parse_next_lease(const std::string& body);
// complete_body plus a `next` for this worker on --lane. The next does not
// wait: it would hold the completion's answer while the lane is empty, so
// a worker that gets no lease goes back to acquire's long-poll.
std::string complete_with_next_body(const bench_options& o, const lease& l,
                                    const std::string& worker_id,
                                    const std::string& worker_instance_id);

double micros(steady::time_point a, steady::time_point b);
std::string describe_failure(const std::string& what, const http_reply& r);

// The progress tick and the time limit of one asynchronous phase. The
// phase ends when its work calls finish(); fail() ends it early (time
// limit, Ctrl-C, an error) and runs `abort` so open requests are cut.
class phase {
public:
  phase(bench_context& ctx, std::chrono::steady_clock::time_point deadline,
        std::function<void()> abort);
  void start();
  void finish();
  void fail(std::string why);
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  bool running() const { return running_; }

private:
  void schedule_tick();
  bench_context& ctx_;
  boost::asio::steady_timer tick_;
  boost::asio::steady_timer limit_;
  std::chrono::steady_clock::time_point deadline_;
  std::function<void()> abort_;
  std::string error_;
  bool running_ = false;
};

// Runs the io_context until its work is done, under a cpu_meter whose
// figures go into `result`, then ends the progress line.
void run_io_metered(bench_context& ctx, run_result& result);

// Starts `ph`, sends GET /healthz on every connection and calls `first`
// once all have answered, so connect time is in no sample; then runs the
// io_context as run_io_metered does. Returns when the io_context started
// (connects included), for wall_ms.
steady::time_point connect_all_then_run(bench_context& ctx, phase& ph, run_result& result,
                                        const std::vector<std::shared_ptr<http_connection>>& conns,
                                        std::function<void()> first);

struct created_executions {
  int created = 0;
  std::vector<double> latency_us;  // per create: request written -> answer read
  steady::time_point start{};      // before the connections were opened
  steady::time_point last_done{};  // the last create's answer
};

// Creates `total` executions in `lane` over min(in_flight, total)
// keep-alive connections, each sending its next create once the last is
// answered. With `metered`, the io_context runs under a cpu_meter writing
// into it. Ends the progress line; throws "<what>: <failure>".
created_executions create_executions(bench_context& ctx, steady::time_point deadline,
                                     const std::string& what, const std::string& lane,
                                     const std::string& payload_json, int total, int in_flight,
                                     run_result* metered);

// The same through POST /v1/executions/batch, `batch` creates per request.
created_executions create_executions_batched(bench_context& ctx, steady::time_point deadline,
                                             const std::string& what, const std::string& lane,
                                             const std::string& payload_json, int total,
                                             int batch, int in_flight);

// Acquires with wait_ms 0 and completes until the lane answers 204, so a
// run starts from an empty lane. Runs the io_context itself; returns how
// many leftovers it completed, or throws.
std::uint64_t drain_lane(bench_context& ctx, std::chrono::steady_clock::time_point deadline);

} // namespace ffbench
