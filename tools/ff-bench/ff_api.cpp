#include "ff_api.hpp"

#include <rapidjson/document.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <atomic>
#include <chrono>
#include <random>
#include <stdexcept>
#include <string_view>
#include <unistd.h>

namespace ffbench {

namespace http = boost::beast::http;

namespace {

const rapidjson::Value* member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(name);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

} // namespace

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string json_byte_array(const std::string& bytes) {
  std::string out = "[";
  out.reserve(bytes.size() * 4 + 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i) out.push_back(',');
    out += std::to_string(static_cast<unsigned char>(bytes[i]));
  }
  out.push_back(']');
  return out;
}

std::string create_body(const bench_options& o, const std::string& payload_json) {
  return create_body(o, o.lane, payload_json);
}

// Every create carries an idempotency key unique to this run, as a client
// that may retry a create after a timeout or a 503 must: the retry then
// answers the first create instead of making a second execution.
std::string next_idempotency_key() {
  static const std::string run = [] {
    std::random_device rd;
    return std::to_string(rd()) + "-" + std::to_string(rd());
  }();
  static std::atomic<std::uint64_t> counter{0};
  return "ff-bench-" + run + "-" + std::to_string(counter.fetch_add(1));
}

std::string create_body(const bench_options& o, const std::string& lane,
                        const std::string& payload_json) {
  return "{\"namespace\":\"bench\",\"idempotency_key\":\"" + next_idempotency_key() +
         "\",\"lane_id\":" + json_string(lane) +
         ",\"execution_kind\":\"bench\",\"input_payload\":" + payload_json +
         ",\"priority\":" + std::to_string(o.priority) +
         ",\"creator_identity\":\"ff-bench\",\"now\":" + std::to_string(epoch_ms()) + "}";
}

std::string acquire_path(const std::string& worker_id) {
  return "/v1/workers/" + url_encode(worker_id) + "/acquire";
}

std::string acquire_body(const bench_options& o, const std::string& worker_instance_id,
                         int wait_ms) {
  return "{\"lane_id\":" + json_string(o.lane) +
         ",\"worker_instance_id\":" + json_string(worker_instance_id) +
         ",\"capabilities\":[],\"lease_ttl_ms\":" + std::to_string(o.lease_ttl_ms) +
         ",\"wait_ms\":" + std::to_string(wait_ms) + "}";
}

std::string complete_path(const std::string& execution_id) {
  return "/v1/executions/" + url_encode(execution_id) + "/complete";
}

std::string complete_body(const lease& l) {
  return "{\"lease_id\":" + json_string(l.lease_id) +
         ",\"lease_epoch\":" + std::to_string(l.lease_epoch) +
         ",\"attempt_index\":" + std::to_string(l.attempt_index) + ",\"result\":\"\"}";
}

std::optional<std::string> parse_created_id(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError()) return std::nullopt;
  const auto* created = member(doc, "Created");
  if (!created) return std::nullopt;
  const auto* id = member(*created, "execution_id");
  if (!id || !id->IsString()) return std::nullopt;
  return std::string(id->GetString(), id->GetStringLength());
}

namespace {

// Collects the four top-level fields a worker needs and stops the parse as
// soon as it has them: the node writes them before input_payload, so the
// payload's byte array is never tokenized (parsing it dominated the load
// generator's CPU time with 4 KiB payloads).
struct lease_handler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, lease_handler> {
  explicit lease_handler(int at) : lease_depth(at) {}
  const int lease_depth; // 1: the body is the lease; 3: the first of {"next":[lease,..]}
  lease out;
  int depth = 0;
  int found = 0;
  enum class field { other, execution_id, lease_id, lease_epoch, attempt_index } pending = field::other;

  bool done() const { return found == 4; }
  bool Default() {
    pending = field::other;
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (depth == lease_depth && pending == field::execution_id) out.execution_id.assign(s, n), ++found;
    else if (depth == lease_depth && pending == field::lease_id) out.lease_id.assign(s, n), ++found;
    pending = field::other;
    return !done();
  }
  bool number(std::uint64_t v) {
    if (depth == lease_depth && pending == field::lease_epoch) out.lease_epoch = v, ++found;
    else if (depth == lease_depth && pending == field::attempt_index) out.attempt_index = v, ++found;
    pending = field::other;
    return !done();
  }
  bool Uint(unsigned v) { return number(v); }
  bool Uint64(std::uint64_t v) { return number(v); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    pending = field::other;
    if (depth != lease_depth) return true;
    std::string_view k(s, n);
    if (k == "execution_id") pending = field::execution_id;
    else if (k == "lease_id") pending = field::lease_id;
    else if (k == "lease_epoch") pending = field::lease_epoch;
    else if (k == "attempt_index") pending = field::attempt_index;
    return true;
  }
  bool StartObject() {
    ++depth;
    pending = field::other;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool StartArray() {
    ++depth;
    pending = field::other;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }
};

} // namespace

namespace {

std::optional<lease> parse_lease_at(const std::string& body, int depth) {
  lease_handler h(depth);
  rapidjson::Reader reader;
  rapidjson::MemoryStream ms(body.data(), body.size());
  reader.Parse(ms, h);
  // Either the handler stopped the parse with every field, or it ran to
  // the end; anything else is not a lease.
  if (!h.done()) return std::nullopt;
  return h.out;
}

} // namespace

std::optional<lease> parse_lease(const std::string& body) { return parse_lease_at(body, 1); }

std::optional<lease> parse_next_lease(const std::string& body) {
  return parse_lease_at(body, 3);
}

std::string complete_with_next_body(const bench_options& o, const lease& l,
                                    const std::string& worker_id,
                                    const std::string& worker_instance_id) {
  return "{\"lease_id\":" + json_string(l.lease_id) +
         ",\"lease_epoch\":" + std::to_string(l.lease_epoch) +
         ",\"attempt_index\":" + std::to_string(l.attempt_index) +
         ",\"result\":\"\",\"next\":{\"worker_id\":" + json_string(worker_id) +
         ",\"worker_instance_id\":" + json_string(worker_instance_id) +
         ",\"lane_id\":" + json_string(o.lane) +
         ",\"lease_ttl_ms\":" + std::to_string(o.lease_ttl_ms) +
         ",\"wait_ms\":0}}";
}

double micros(steady::time_point a, steady::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

std::string describe_failure(const std::string& what, const http_reply& r) {
  if (r.ec) return what + ": " + r.ec.message();
  std::string body = r.body.size() > 300 ? r.body.substr(0, 300) + "..." : r.body;
  return what + ": HTTP " + std::to_string(r.status) + " " + body;
}

phase::phase(bench_context& ctx, std::chrono::steady_clock::time_point deadline,
             std::function<void()> abort)
    : ctx_(ctx), tick_(ctx.io), limit_(ctx.io), deadline_(deadline), abort_(std::move(abort)) {}

void phase::start() {
  running_ = true;
  schedule_tick();
  limit_.expires_at(deadline_);
  limit_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && running_) fail("time limit reached (--time-limit-s)");
  });
}

void phase::schedule_tick() {
  tick_.expires_after(std::chrono::milliseconds(100));
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running_) return;
    ctx_.progress_line.tick();
    if (stop_requested) return fail("interrupted");
    schedule_tick();
  });
}

void phase::finish() {
  if (!running_) return;
  running_ = false;
  tick_.cancel();
  limit_.cancel();
}

void phase::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  bool was_running = running_;
  finish();
  if (was_running && abort_) abort_();
}

void run_io_metered(bench_context& ctx, run_result& result) {
  cpu_meter cpu;
  cpu.begin(ctx);
  ctx.io.restart();
  ctx.io.run();
  cpu.end(ctx, result);
  ctx.progress_line.end();
}

steady::time_point connect_all_then_run(bench_context& ctx, phase& ph, run_result& result,
                                        const std::vector<std::shared_ptr<http_connection>>& conns,
                                        std::function<void()> first) {
  ph.start();
  std::size_t connected = 0;
  auto on_health = [&](http_reply& r) {
    if (!ph.running()) return;
    if (r.ec || r.status != 200) return ph.fail(describe_failure("healthz", r));
    if (++connected == conns.size()) first();
  };
  for (const auto& c : conns)
    c->send(http::verb::get, "/healthz", {}, request_timeout, on_health);
  auto start = steady::now();
  run_io_metered(ctx, result);
  return start;
}

namespace {

// Sends `total` creates over min(in_flight, requests) keep-alive
// connections, each sending its next request once the last is answered:
// one POST /v1/executions per create when `batch` is 0, else
// POST /v1/executions/batch with up to `batch` creates.
created_executions send_creates(bench_context& ctx, steady::time_point deadline,
                                const std::string& what, const std::string& lane,
                                const std::string& payload_json, int total, int batch,
                                int in_flight, run_result* metered) {
  struct state {
    std::vector<std::shared_ptr<http_connection>> conns;
    created_executions out;
    int sent = 0;
    int open = 0;
  };
  auto s = std::make_shared<state>();
  s->out.latency_us.reserve(static_cast<std::size_t>(std::max(0, total)));
  phase ph(ctx, deadline, [s] {
    for (auto& c : s->conns) c->close();
  });
  const int requests = batch > 0 ? (total + batch - 1) / batch : total;
  std::function<void(std::shared_ptr<http_connection>)> next =
      [&](std::shared_ptr<http_connection> conn) {
        if (!ph.running() || s->sent >= total) {
          if (--s->open == 0) ph.finish();
          return;
        }
        const int n = batch > 0 ? std::min(batch, total - s->sent) : 1;
        s->sent += n;
        std::string path = "/v1/executions", body;
        if (batch > 0) {
          path += "/batch";
          body = "{\"executions\":[";
          for (int i = 0; i < n; ++i) {
            if (i) body += ',';
            body += create_body(ctx.options, lane, payload_json);
          }
          body += "]}";
        } else {
          body = create_body(ctx.options, lane, payload_json);
        }
        conn->send(http::verb::post, path, std::move(body), request_timeout,
                   [&, conn, n](http_reply& r) {
                     bool ok = !r.ec;
                     if (ok && batch > 0) {
                       // Every item must be Created: count the item statuses.
                       int created = 0;
                       for (auto at = r.body.find("\"status\":201"); at != std::string::npos;
                            at = r.body.find("\"status\":201", at + 1))
                         ++created;
                       ok = r.status == 200 && created == n;
                     } else if (ok) {
                       ok = r.status == 201 && parse_created_id(r.body).has_value();
                     }
                     if (!ok) {
                       ph.fail(describe_failure(batch > 0 ? "batch create" : "create", r));
                     } else {
                       s->out.created += n;
                       s->out.latency_us.push_back(micros(r.sent, r.done));
                       s->out.last_done = r.done;
                       for (int i = 0; i < n; ++i) ctx.progress_line.add();
                     }
                     next(conn);
                   });
      };

  s->out.start = steady::now();
  ph.start();
  for (int i = 0; i < std::max(1, std::min(in_flight, requests)); ++i) {
    s->conns.push_back(std::make_shared<http_connection>(ctx.io, *ctx.node));
    ++s->open;
  }
  for (auto& c : s->conns) next(c);
  if (metered) {
    run_io_metered(ctx, *metered);
  } else {
    ctx.io.restart();
    ctx.io.run();
    ctx.progress_line.end();
  }
  if (ph.failed()) throw std::runtime_error(what + ": " + ph.error());
  if (s->out.created != total)
    throw std::runtime_error(what + ": created " + std::to_string(s->out.created) + " of " +
                             std::to_string(total));
  return std::move(s->out);
}

} // namespace

created_executions create_executions(bench_context& ctx, steady::time_point deadline,
                                     const std::string& what, const std::string& lane,
                                     const std::string& payload_json, int total, int in_flight,
                                     run_result* metered) {
  return send_creates(ctx, deadline, what, lane, payload_json, total, 0, in_flight, metered);
}

created_executions create_executions_batched(bench_context& ctx, steady::time_point deadline,
                                             const std::string& what, const std::string& lane,
                                             const std::string& payload_json, int total,
                                             int batch, int in_flight) {
  return send_creates(ctx, deadline, what, lane, payload_json, total, batch, in_flight, nullptr);
}

std::uint64_t drain_lane(bench_context& ctx, std::chrono::steady_clock::time_point deadline) {
  struct state {
    std::shared_ptr<http_connection> conn;
    std::uint64_t drained = 0;
    std::uint64_t rounds = 0;
  };
  auto s = std::make_shared<state>();
  s->conn = std::make_shared<http_connection>(ctx.io, *ctx.node);
  phase ph(ctx, deadline, [s] { s->conn->close(); });
  const auto timeout = std::chrono::milliseconds(10000);
  const std::string instance = "ff-bench-drain-" + std::to_string(getpid());

  std::function<void()> next = [&] {
    if (!ph.running()) return;
    if (++s->rounds > 1'000'000) return ph.fail("lane drain did not finish");
    s->conn->send(http::verb::post, acquire_path("ff-bench-drain"),
                  acquire_body(ctx.options, instance, 0), timeout, [&](http_reply& r) {
                    if (!ph.running()) return;
                    if (!r.ec && r.status == 204) return ph.finish();
                    std::optional<lease> l;
                    if (r.ec || r.status != 200 || !(l = parse_lease(r.body)))
                      return ph.fail(describe_failure("drain acquire", r));
                    s->conn->send(http::verb::post, complete_path(l->execution_id),
                                  complete_body(*l), timeout, [&](http_reply& c) {
                                    if (!ph.running()) return;
                                    if (c.ec || c.status != 200)
                                      return ph.fail(describe_failure("drain complete", c));
                                    ++s->drained;
                                    next();
                                  });
                  });
  };
  ph.start();
  next();
  ctx.io.restart();
  ctx.io.run();
  if (ph.failed()) throw std::runtime_error(ph.error());
  return s->drained;
}

} // namespace ffbench
