#pragma once
// Shared pieces of the end-to-end tests: a real redis-server, a real
// ff-node process on top of it, and JSON helpers.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/redis_server.hpp"

namespace ff::test {

inline const char* test_hmac_secret =
  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

// The environment of a node talking to `redis` with a small partition count.
inline std::map<std::string, std::string> node_env(const redis_server& redis,
                                                   std::uint16_t partitions = 8) {
  return {
    {"FF_HOST", "127.0.0.1"},
    {"FF_PORT", std::to_string(redis.port())},
    {"FF_WAITPOINT_HMAC_SECRET", test_hmac_secret},
    {"FF_FLOW_PARTITIONS", std::to_string(partitions)},
    {"FF_LOG_LEVEL", "warn"},
  };
}

inline rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  return doc;
}

// A valid create body. `overrides` is a JSON object fragment without the
// braces (`"priority":7,"tags":{}`); its members replace or add to the
// defaults.
inline std::string create_body(const std::string& execution_id, std::uint16_t partition,
                               const std::string& overrides = {}) {
  rapidjson::Document body;
  body.Parse(R"({"namespace":"tests","lane_id":"default","execution_kind":"echo",)"
             R"("input_payload":[123,125],"priority":5,"creator_identity":"e2e",)"
             R"("now":1713100800000})");
  auto& alloc = body.GetAllocator();
  if (!execution_id.empty()) {
    body.AddMember("execution_id", rapidjson::Value(execution_id.c_str(), alloc), alloc);
    body.AddMember("partition_id", partition, alloc);
  }
  if (!overrides.empty()) {
    rapidjson::Document extra;
    extra.Parse(("{" + overrides + "}").c_str());
    if (!extra.IsObject()) throw std::runtime_error("bad override fragment: " + overrides);
    for (auto& m : extra.GetObject()) {
      rapidjson::Value value(m.value, alloc);
      if (body.HasMember(m.name)) body[m.name] = value;
      else body.AddMember(rapidjson::Value(m.name, alloc), value, alloc);
    }
  }
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  body.Accept(writer);
  return out.GetString();
}

inline std::string exec_path(const std::string& id, const std::string& suffix = {}) {
  return "/v1/executions/" + url_encode(id) + suffix;
}

// Every id in one partition, following next_cursor to the end.
inline std::vector<std::string> list_partition(http_client& client, std::uint16_t partition,
                                               const std::map<std::string, std::string>& headers = {}) {
  std::vector<std::string> ids;
  std::string cursor;
  for (int guard = 0; guard < 10000; ++guard) {
    auto target = "/v1/executions?partition=" + std::to_string(partition) + "&limit=100";
    if (!cursor.empty()) target += "&cursor=" + url_encode(cursor);
    auto res = client.get(target, headers);
    if (res.status != 200) throw std::runtime_error("list failed: " + res.body);
    auto doc = parse_json(res.body);
    for (auto& v : doc["executions"].GetArray()) ids.emplace_back(v.GetString());
    if (doc["next_cursor"].IsNull()) break;
    cursor = doc["next_cursor"].GetString();
  }
  return ids;
}

inline std::size_t count_all(http_client& client, std::uint16_t partitions,
                             const std::map<std::string, std::string>& headers = {}) {
  std::size_t n = 0;
  for (std::uint16_t p = 0; p < partitions; ++p) n += list_partition(client, p, headers).size();
  return n;
}

// --- worker protocol helpers (decisions.md §5) ------------------------------

inline std::string json_string(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject() || !v.HasMember(name) || !v[name].IsString())
    throw std::runtime_error(std::string("no string member ") + name);
  return v[name].GetString();
}

// The lease object answered by acquire and executions/{id}/claim.
struct held_lease {
  std::string execution_id;
  std::uint32_t attempt_index = 0;
  std::string attempt_id;
  std::string attempt_type;
  std::string lease_id;
  std::uint64_t lease_epoch = 0;
  std::int64_t lease_expires_at = 0;

  // A lease-holder body: the fence, attempt_id, and `extra` members.
  std::string fence(const std::string& extra = {}) const {
    std::string body = R"({"lease_id":")" + lease_id + R"(","lease_epoch":)" +
                       std::to_string(lease_epoch) + R"(,"attempt_index":)" +
                       std::to_string(attempt_index) + R"(,"attempt_id":")" + attempt_id + "\"";
    if (!extra.empty()) body += "," + extra;
    return body + "}";
  }
};

inline held_lease parse_lease(const std::string& body) {
  auto doc = parse_json(body);
  if (!doc.IsObject()) throw std::runtime_error("not a lease object: " + body);
  held_lease l;
  l.execution_id = json_string(doc, "execution_id");
  l.attempt_index = doc["attempt_index"].GetUint();
  l.attempt_id = json_string(doc, "attempt_id");
  l.attempt_type = json_string(doc, "attempt_type");
  l.lease_id = json_string(doc, "lease_id");
  l.lease_epoch = doc["lease_epoch"].GetUint64();
  l.lease_expires_at = doc["lease_expires_at"].GetInt64();
  return l;
}

// POST /v1/workers/{worker}/acquire on lane "default"; `extra` adds or
// overrides members (`"wait_ms":500`).
inline http_response acquire(http_client& client, const std::string& worker,
                             const std::string& extra = {}) {
  std::string body = R"({"lane_id":"default","worker_instance_id":")" + worker + R"(-1")";
  if (!extra.empty()) body += "," + extra;
  return client.post("/v1/workers/" + url_encode(worker) + "/acquire", body + "}");
}

// Creates an execution on `partition` (extra create members in `overrides`)
// and returns its id; throws unless the answer is 201.
inline std::string create_execution(http_client& client, std::uint16_t partition,
                                    const std::string& overrides = {}) {
  auto id = execution_id::mint(partition).value;
  auto res = client.post("/v1/executions", create_body(id, partition, overrides));
  if (res.status != 201) throw std::runtime_error("create failed: " + res.body);
  return id;
}

// Creates an execution on `partition` and acquires it as `worker` (acquire
// members in `extra`, e.g. a short `"lease_ttl_ms":1000`); throws unless
// the worker got exactly that execution.
inline held_lease create_and_acquire(http_client& client, std::uint16_t partition,
                                     const std::string& extra = {},
                                     const std::string& worker = "w") {
  auto id = create_execution(client, partition);
  auto res = acquire(client, worker, extra);
  if (res.status != 200) throw std::runtime_error("acquire failed: " + res.body);
  auto lease = parse_lease(res.body);
  if (lease.execution_id != id) throw std::runtime_error("acquired another execution: " + res.body);
  return lease;
}

// The public state, without the JSON quotes.
inline std::string state_of(http_client& client, const std::string& id) {
  auto res = client.get(exec_path(id, "/state"));
  if (res.status != 200) return "<" + std::to_string(res.status) + ">";
  return parse_json(res.body).GetString();
}

// Polls `done` every 20 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The value of one series in a Prometheus text body, e.g.
// `ff_queue_rejected_total{pool="partition"}`; 0 when the series is absent.
inline double metric_value(const std::string& metrics_body, const std::string& series) {
  std::size_t at = 0;
  while ((at = metrics_body.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || metrics_body[at - 1] == '\n')
      return std::stod(metrics_body.substr(at + series.size() + 1));
    at += series.size();
  }
  return 0;
}

inline double metric_value(http_client& client, const std::string& series) {
  auto res = client.get("/metrics");
  if (res.status != 200) throw std::runtime_error("/metrics answered " + std::to_string(res.status));
  return metric_value(res.body, series);
}

// Polls /metrics until `n` claims are parked in `lane`. A test that means
// to exercise the wake-up calls this before it creates the work, so the
// claims provably parked first.
inline bool parked_claims_reach(http_client& client, std::size_t n,
                                const std::string& lane = "default",
                                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto series = "ff_lane_parked_claims{lane=\"" + lane + "\"}";
  return eventually([&] { return metric_value(client, series) == static_cast<double>(n); }, timeout);
}

// Runs `call(client, i)` for i in [0, n) on n threads, each with its own
// connection to `port`, all released at once after every connection is
// open; returns the answers in order of i.
template <class F>
auto run_together(std::uint16_t port, std::size_t n, F call) {
  using result = decltype(call(std::declval<http_client&>(), std::size_t{}));
  std::promise<void> go;
  auto gate = go.get_future().share();
  std::atomic<std::size_t> connected{0};
  std::vector<std::future<result>> running;
  for (std::size_t i = 0; i < n; ++i)
    running.push_back(std::async(std::launch::async, [&, gate, i] {
      http_client client("127.0.0.1", port);
      try {
        client.get("/healthz");
      } catch (const std::exception&) {
        // the call itself will report the failure
      }
      ++connected;
      gate.wait();
      return call(client, i);
    }));
  while (connected.load() < n) std::this_thread::yield();
  go.set_value();
  std::vector<result> out;
  for (auto& f : running) out.push_back(f.get());
  return out;
}

// Takes the one execution that becomes due at some time (a delay or a
// retry backoff): an immediate acquire, then a long poll if nothing was due
// yet. `granted_at` is the store's clock at the grant (acquire sets
// lease_expires_at to its now + lease_ttl_ms), so "not handed out before
// it was due" can be checked however slow the run is.
struct due_acquire {
  unsigned first_status = 0; // the immediate acquire: 204, or 200 when already due
  held_lease lease;
  std::int64_t granted_at = 0;
};

inline due_acquire acquire_when_due(http_client& client, const std::string& worker) {
  constexpr std::int64_t ttl_ms = 30000;
  const std::string ttl = R"("lease_ttl_ms":)" + std::to_string(ttl_ms);
  auto first = acquire(client, worker, ttl);
  auto got = first.status == 204 ? acquire(client, worker, ttl + R"(,"wait_ms":5000)") : first;
  if (got.status != 200)
    throw std::runtime_error("nothing became due: " + std::to_string(got.status) + " " + got.body);
  due_acquire out;
  out.first_status = first.status;
  out.lease = parse_lease(got.body);
  out.granted_at = out.lease.lease_expires_at - ttl_ms;
  return out;
}

inline std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

} // namespace ff::test
