// The Beast side of the HTTP layer: accept loop, one strand per connection,
// HTTP/1.1 keep-alive, and the per-request pipeline of rest-api.md §1.6:
// CORS preflight → routing → auth → body-size gate → body → handler.
// This is the only translation unit of ff_http that includes Beast.

#include "http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include "http/auth.hpp"
#include "http/cors.hpp"
#include "http/error_mapping.hpp"
#include "http/handler.hpp"
#include "http/json_codec.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"

namespace ff {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto io_timeout = std::chrono::seconds(30);      // one body read / response write
constexpr auto linger_timeout = std::chrono::seconds(2);   // see session::linger
constexpr std::size_t linger_max_bytes = 8u << 20;
constexpr std::uint32_t header_limit = 16 * 1024;
// Connections turned away at the limit that may linger (see rejected_connection);
// beyond this many, they are closed right after the 503 is written.
constexpr std::size_t max_lingering_rejects = 16;
constexpr auto accept_backoff_first = std::chrono::milliseconds(10);
constexpr auto accept_backoff_max = std::chrono::milliseconds(1000);
constexpr auto log_interval = std::chrono::seconds(5);

using clock_type = std::chrono::steady_clock;

std::string to_string(beast::string_view s) { return std::string(s.data(), s.size()); }

// A warning that can repeat at the rate of incoming connections (accept
// failures, connections over the limit) is logged at most once per
// log_interval, with the number of occurrences since the last line.
class log_throttle {
public:
  // True when a line is due; `count` is then the occurrences it covers.
  bool due(std::uint64_t& count) {
    std::lock_guard<std::mutex> lk(mu_);
    ++pending_;
    auto now = clock_type::now();
    if (now < next_) return false;
    next_ = now + log_interval;
    count = pending_;
    pending_ = 0;
    return true;
  }

private:
  std::mutex mu_;
  clock_type::time_point next_{};
  std::uint64_t pending_ = 0;
};

// What a connection over the limit is told, without parsing its request.
const std::string& too_many_connections_response() {
  static const std::string response = [] {
    std::string body = R"({"error":"too many connections","kind":"unavailable","retryable":true})";
    return "HTTP/1.1 503 Service Unavailable\r\n"
           "Server: ff-node\r\n"
           "Content-Type: application/json\r\n"
           "Retry-After: 1\r\n"
           "Connection: close\r\n"
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return response;
}

} // namespace

class session;

// What the server, its sessions and any outstanding responder share. A
// responder may outlive the server (an engine callback arriving late), so
// it holds this by shared_ptr and checks `closed` before touching asio.
struct server_shared {
  server_shared(const node_config& cfg, engine_gateway& gw, prometheus_metrics& m)
      : config(cfg), gateway(gw), metrics(m),
        max_connections(cfg.max_connections
                            ? cfg.max_connections
                            : default_max_connections(descriptor_limit(), cfg.backend_pool_size,
                                                      cfg.max_concurrent_stream_ops)),
        idle_timeout(std::chrono::milliseconds(cfg.http_idle_timeout_ms)),
        header_timeout(std::chrono::milliseconds(cfg.http_header_timeout_ms)) {}

  const node_config config;
  engine_gateway& gateway;
  prometheus_metrics& metrics;
  std::optional<cors_policy> cors;
  router routes;
  std::atomic<bool> draining{false};

  std::mutex flight_mu;
  std::condition_variable flight_cv;
  std::size_t in_flight = 0;

  std::mutex gate_mu;
  bool closed = false; // set once the asio threads are gone

  std::mutex sessions_mu;
  std::unordered_map<session*, std::weak_ptr<session>> sessions;

  // Sessions alive (FF_MAX_CONNECTIONS bounds them), and connections turned
  // away that still drain.
  const std::size_t max_connections;
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::size_t> lingering_rejects{0};
  log_throttle rejected_log;
  // Between requests, and from a request's first byte to its header's end
  // (also a fresh connection's wait for its first byte).
  const clock_type::duration idle_timeout;
  const clock_type::duration header_timeout;

  void request_started() {
    std::lock_guard<std::mutex> lk(flight_mu);
    ++in_flight;
  }
  void request_finished() {
    std::lock_guard<std::mutex> lk(flight_mu);
    if (--in_flight == 0) flight_cv.notify_all();
  }
};

class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, std::shared_ptr<server_shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    ++shared_->open_connections;
  }

  ~session() {
    --shared_->open_connections;
    finish_request();
    std::lock_guard<std::mutex> lk(shared_->sessions_mu);
    shared_->sessions.erase(this);
  }

  void start() {
    {
      std::lock_guard<std::mutex> lk(shared_->sessions_mu);
      shared_->sessions[this] = weak_from_this();
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->await_request(); });
  }

  // Makes room for a new connection at the limit: closes the session that
  // has waited longest for a request's first byte, if any. Such a session
  // owes no answer; a client reusing it sees the close as any keep-alive
  // client may, and retries on a new connection.
  static bool evict_idle(server_shared& shared) {
    // Released after the lock: the last reference runs ~session, which
    // takes sessions_mu.
    std::shared_ptr<session> victim;
    {
      std::lock_guard<std::mutex> lk(shared.sessions_mu);
      const std::weak_ptr<session>* oldest = nullptr;
      auto oldest_since = std::numeric_limits<clock_type::rep>::max();
      for (auto& [ptr, weak] : shared.sessions) {
        if (!ptr->idle_.load()) continue;
        auto since = ptr->idle_since_.load();
        if (since < oldest_since) {
          oldest_since = since;
          oldest = &weak;
        }
      }
      if (oldest) victim = oldest->lock();
    }
    // Whoever clears `idle_` first owns the session's next step: the read
    // handler (a request began) or this eviction.
    if (!victim || !victim->idle_.exchange(false)) return false;
    net::post(victim->stream_.get_executor(), [victim] { victim->close_now_on_strand(); });
    return true;
  }

  // Posts a handler's reply onto this connection's strand.
  static void post_reply(const std::weak_ptr<session>& weak,
                         const std::shared_ptr<server_shared>& shared,
                         std::function<http_response()> make) {
    std::lock_guard<std::mutex> lk(shared->gate_mu);
    if (shared->closed) return;
    auto self = weak.lock();
    if (!self) return;
    auto executor = self->stream_.get_executor();
    net::post(executor, [self = std::move(self), make = std::move(make)]() mutable {
      http_response response;
      try {
        response = make();
      } catch (const std::exception& e) {
        response = error_response(engine_error::internal(e.what()));
      }
      self->on_reply(std::move(response));
    });
  }

  // Only with the asio threads stopped: nothing else touches the socket.
  void close_now() {
    beast::error_code ec;
    stream_.socket().close(ec);
    awaiting_reply_.reset();
  }

private:
  class channel final : public reply_channel {
  public:
    channel(std::weak_ptr<session> s, std::shared_ptr<server_shared> shared)
        : session_(std::move(s)), shared_(std::move(shared)) {}
    void deliver(std::function<http_response()> make) override {
      post_reply(session_, shared_, std::move(make));
    }

  private:
    std::weak_ptr<session> session_;
    std::shared_ptr<server_shared> shared_;
  };

  // Waits for the first byte of the next request: a fresh connection for at
  // most the header timeout, a kept-alive one for the idle timeout. While
  // waiting the session is idle, which lets evict_idle close it.
  void await_request() {
    parser_.emplace();
    parser_->header_limit(header_limit);
    // No limit while reading the header: the route decides it, and Beast
    // would otherwise reject a large Content-Length before routing. (Not
    // boost::none: Beast 1.74 compares the length against the optional, and
    // every length is "greater" than none.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (buffer_.size() > 0) return read_header(); // pipelined
    stream_.expires_after(served_ ? shared_->idle_timeout : shared_->header_timeout);
    idle_since_ = clock_type::now().time_since_epoch().count();
    idle_ = true;
    stream_.async_read_some(buffer_.prepare(first_read_bytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              bool evicted = !self->idle_.exchange(false);
                              // timeout, EOF or eviction: no request began, no answer owed
                              if (ec || evicted) return self->close_now_on_strand();
                              self->read_header();
                            });
  }

  // The whole header must arrive within the header timeout of its first
  // byte, however slowly it trickles in.
  void read_header() {
    stream_.expires_after(shared_->header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               self->on_header(ec);
                             });
  }

  void on_header(beast::error_code ec) {
    if (ec) {
      if (is_parse_error(ec)) {
        begin_request();
        unsigned status = ec == bhttp::error::header_limit ? 431 : 400;
        return respond(json_error(status, "malformed request: " + ec.message(), "invalid_input"),
                       true);
      }
      return close_gracefully();
    }
    begin_request();
    auto& req = parser_->get();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    method_ = to_string(req.method_string());
    head_ = method_ == "HEAD";
    target_ = to_string(req.target());
    auto q = target_.find('?');
    path_ = target_.substr(0, q);
    query_ = q == std::string::npos ? std::string() : target_.substr(q + 1);
    origin_ = header_value(bhttp::field::origin);
    cors_exempt_ = path_ == "/metrics";

    match_ = shared_->routes.match(method_, path_);
    route_label_ = match_.path_template ? *match_.path_template : std::string();

    if (shared_->draining.load()) return respond(shutting_down_response(), true);

    if (!cors_exempt_ && cors_policy::is_preflight(
                             method_, req.find(bhttp::field::access_control_request_method) !=
                                          req.end())) {
      auto acrm = header_value(bhttp::field::access_control_request_method);
      auto acrh = header_value(bhttp::field::access_control_request_headers);
      http_response pre = http_response::empty(200);
      shared_->cors->preflight_headers(origin_ ? &*origin_ : nullptr, acrm ? &*acrm : nullptr,
                                       acrh ? &*acrh : nullptr, pre.headers);
      preflight_ = true;
      return respond(std::move(pre), !parser_->is_done());
    }

    // Auth sits behind routing but also guards the not-found fallback, so
    // an unauthenticated client learns nothing about which paths exist.
    bool authorized = auth_exempt_path(path_) ||
                      bearer_token_ok(header_value_ptr(bhttp::field::authorization),
                                      shared_->config.api_token);
    if (!authorized)
      return respond(json_error(401, "missing or invalid Authorization header"),
                     !parser_->is_done());
    if (match_.status == router::outcome::not_found)
      return respond(http_response::empty(404), !parser_->is_done());
    if (match_.status == router::outcome::method_not_allowed) {
      http_response r = http_response::empty(405);
      r.headers.emplace_back("Allow", match_.allow);
      return respond(std::move(r), !parser_->is_done());
    }

    route_ = &route_table()[match_.payload];
    std::uint64_t limit = route_->body_limit ? route_->body_limit : body_limit_transport;
    if (auto length = parser_->content_length(); length && *length > limit)
      return respond(payload_too_large(limit), true);

    if (parser_->is_done()) return dispatch();
    parser_->body_limit(limit);
    if (iequals(header_value(bhttp::field::expect).value_or(""), "100-continue") &&
        version_ >= 11) {
      static constexpr char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(io_timeout);
      return net::async_write(stream_, net::buffer(continue_line, sizeof continue_line - 1),
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->close_now_on_strand();
                                self->read_body();
                              });
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(io_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->on_body(ec);
                      });
  }

  void on_body(beast::error_code ec) {
    if (ec == bhttp::error::body_limit)
      return respond(payload_too_large(limit_of_route()), true);
    // Bad framing (a chunk size that is not hex or overflows, a broken chunk
    // extension, ...) is the client's error and gets an answer; a timeout or
    // the peer going away only closes.
    if (is_parse_error(ec))
      return respond(json_error(400, "malformed request body: " + ec.message(), "invalid_input"),
                     true);
    if (ec) return close_now_on_strand();
    dispatch();
  }

  static bool is_parse_error(beast::error_code ec) {
    return ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
           ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
  }

  std::uint64_t limit_of_route() const {
    return route_->body_limit ? route_->body_limit : body_limit_transport;
  }

  http_response payload_too_large(std::uint64_t limit) const {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    write_key(w, "error");
    write_string(w, "payload_too_large");
    write_key(w, "limit_bytes");
    w.Uint64(limit);
    write_key(w, "route");
    write_string(w, route_label_);
    w.EndObject();
    return http_response::json(413, std::string(buf.GetString(), buf.GetSize()));
  }

  void dispatch() {
    if (!route_->handler) {
      return respond(error_response(engine_error::unavailable(method_ + " " + route_label_)),
                     false);
    }
    auto& req = parser_->get();
    http_request request;
    request.method = head_ ? std::string("GET") : method_;
    request.path = path_;
    request.query = query_;
    if (auto ct = header_value(bhttp::field::content_type)) {
      request.has_content_type = true;
      request.content_type = std::move(*ct);
    }
    request.body = std::move(req.body());

    awaiting_reply_ = shared_from_this();
    request_context ctx{std::move(request),
                        std::move(match_.params),
                        match_.path_template->c_str(),
                        shared_->gateway,
                        shared_->metrics,
                        shared_->config,
                        responder(std::make_shared<channel>(weak_from_this(), shared_))};
    stream_.expires_never(); // the handler may wait on the engine (long polls)
    try {
      route_->handler(ctx);
    } catch (const std::exception& e) {
      ctx.reply.send(error_response(engine_error::internal(e.what())));
    }
  }

  void on_reply(http_response response) {
    if (!awaiting_reply_) return; // a stale reply after close_now
    auto keep = std::move(awaiting_reply_);
    respond(std::move(response), false);
  }

  // Writes the response. `body_unread`: the request body was not (fully)
  // consumed, so the connection cannot carry another request.
  void respond(http_response r, bool body_unread) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(version_);
    res->result(r.status);
    res->set(bhttp::field::server, "ff-node");
    if (!r.content_type.empty()) res->set(bhttp::field::content_type, r.content_type);
    for (auto& h : r.headers) res->insert(h.first, h.second);
    if (!cors_exempt_ && !preflight_ && shared_->cors) {
      cors_policy::header_list cors;
      shared_->cors->response_headers(origin_ ? &*origin_ : nullptr, cors);
      for (auto& h : cors) res->insert(h.first, h.second);
    }
    bool close = body_unread || !keep_alive_ || shared_->draining.load();
    res->keep_alive(!close);
    bool bodiless_status = r.status < 200 || r.status == 204 || r.status == 304;
    if (bodiless_status) {
      // no body and no Content-Length
    } else if (head_) {
      res->content_length(r.body.size()); // what GET would send, without the bytes
    } else {
      res->body() = std::move(r.body);
      res->prepare_payload();
    }

    double seconds = std::chrono::duration<double>(clock_type::now() - started_).count();
    shared_->metrics.http_request(method_, route_label_, r.status, seconds);
    if (spdlog::should_log(spdlog::level::debug))
      spdlog::debug("http {} {} {} {:.3f}ms", method_.empty() ? "-" : method_,
                    target_.empty() ? "-" : target_, r.status, seconds * 1000);

    stream_.expires_after(io_timeout);
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res, close, body_unread](beast::error_code ec,
                                                                            std::size_t) {
                         self->finish_request();
                         if (ec) return self->close_now_on_strand();
                         self->served_ = true;
                         if (!close) return self->await_request();
                         if (body_unread) return self->linger();
                         self->close_gracefully();
                       });
  }

  // After an early answer (401, 413, ...) the client may still be sending
  // its body. Closing at once would reset the connection and could destroy
  // the response in flight, so stop sending, swallow what arrives for a
  // short while, then close.
  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close_now_on_strand();
    stream_.expires_after(linger_timeout);
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > linger_max_bytes)
                                return self->close_now_on_strand();
                              self->linger_more();
                            });
  }

  void linger_more() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > linger_max_bytes)
                                return self->close_now_on_strand();
                              self->linger_more();
                            });
  }

  void close_gracefully() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  void close_now_on_strand() { stream_.close(); }

  void begin_request() {
    started_ = clock_type::now();
    route_ = nullptr;
    route_label_.clear();
    preflight_ = false;
    method_.clear();
    target_.clear();
    origin_.reset();
    cors_exempt_ = false;
    if (!counted_) {
      counted_ = true;
      shared_->request_started();
    }
  }

  void finish_request() {
    if (counted_) {
      counted_ = false;
      shared_->request_finished();
    }
  }

  std::optional<std::string> header_value(bhttp::field f) const {
    auto& req = parser_->get();
    auto it = req.find(f);
    if (it == req.end()) return std::nullopt;
    return to_string(it->value());
  }
  const std::string* header_value_ptr(bhttp::field f) {
    scratch_ = header_value(f);
    return scratch_ ? &*scratch_ : nullptr;
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<server_shared> shared_;
  // Keeps the session alive while a handler waits on the engine; the
  // responder only holds a weak reference so a stopped server can let go.
  std::shared_ptr<session> awaiting_reply_;

  clock_type::time_point started_{};
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool preflight_ = false;
  bool cors_exempt_ = false;
  bool counted_ = false;
  std::string method_, target_, path_, query_, route_label_;
  std::optional<std::string> origin_, scratch_;
  router::match_result match_;
  const route_def* route_ = nullptr;
  std::array<char, 8192> discard_{};
  std::size_t lingered_ = 0;
  static constexpr std::size_t first_read_bytes = 1024;
  bool served_ = false; // a response went out: later waits use the idle timeout
  std::atomic<bool> idle_{false};
  std::atomic<clock_type::rep> idle_since_{0};
};

// A connection over the limit: the canned 503, then close. The client may
// already be sending its request, and closing a socket with unread input
// resets it (which can destroy the 503 in flight), so it lingers briefly to
// drain, as session::linger does. Lingering is bounded in time and count.
class rejected_connection : public std::enable_shared_from_this<rejected_connection> {
public:
  rejected_connection(tcp::socket&& socket, std::shared_ptr<server_shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {}
  ~rejected_connection() {
    if (lingering_) --shared_->lingering_rejects;
  }

  void start() {
    stream_.expires_after(linger_timeout);
    net::async_write(stream_,
                     net::buffer(too_many_connections_response()),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       beast::error_code ignored;
                       self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                       if (ec) return self->stream_.close();
                       self->lingering_ = true;
                       if (++self->shared_->lingering_rejects > max_lingering_rejects)
                         return self->stream_.close(); // the destructor gives the slot back
                       self->drain();
                     });
  }

private:
  void drain() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->stream_.close();
                              self->drain();
                            });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<server_shared> shared_;
  std::array<char, 1024> discard_{};
  bool lingering_ = false;
};

struct http_server::impl {
  impl(const node_config& cfg, engine_gateway& gw, prometheus_metrics& m)
      : shared(std::make_shared<server_shared>(cfg, gw, m)) {
    const auto& table = route_table();
    for (std::size_t i = 0; i < table.size(); ++i)
      shared->routes.add(table[i].method, table[i].path, i);
  }

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (!accepting.load()) return;
      if (ec) {
        if (ec == net::error::operation_aborted) return;
        // Out of descriptors and the like: back off (doubling, capped)
        // instead of spinning, and keep the log readable.
        backoff = std::min<clock_type::duration>(
            backoff == clock_type::duration::zero() ? accept_backoff_first : backoff * 2,
            accept_backoff_max);
        if (std::uint64_t n = 0; accept_log.due(n))
          spdlog::warn("accept failed: {} ({} times since the last report)", ec.message(), n);
        retry_timer.expires_after(backoff);
        retry_timer.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec && accepting.load()) accept();
        });
        return;
      }
      backoff = clock_type::duration::zero();
      admit(std::move(s));
      accept();
    });
  }

  void admit(tcp::socket s) {
    if (shared->open_connections.load() < shared->max_connections ||
        session::evict_idle(*shared)) {
      std::make_shared<session>(std::move(s), shared)->start();
      return;
    }
    if (std::uint64_t n = 0; shared->rejected_log.due(n))
      spdlog::warn("connection limit of {} reached: {} connections turned away with 503 since "
                   "the last report (FF_MAX_CONNECTIONS)",
                   shared->max_connections, n);
    std::make_shared<rejected_connection>(std::move(s), shared)->start();
  }

  std::shared_ptr<server_shared> shared;
  net::io_context ioc;
  // Keeps run() going while requests wait on the engine with no socket
  // operation pending (during a drain nothing else is left in the loop).
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  net::steady_timer retry_timer{acceptor.get_executor()};
  clock_type::duration backoff{}; // of the accept retries; zero after a success
  log_throttle accept_log;
  std::vector<std::thread> threads;
  std::atomic<bool> accepting{false};
  bool started = false;
  bool stopped = false;
  std::uint16_t port = 0;
  std::mutex stop_mu;
};

http_server::http_server(const node_config& cfg, engine_gateway& gateway,
                         prometheus_metrics& metrics)
    : impl_(std::make_unique<impl>(cfg, gateway, metrics)) {}

http_server::~http_server() { stop(std::chrono::milliseconds(0)); }

expected<unit> http_server::start() {
  auto& s = *impl_;
  auto fail = [&](const std::string& what) -> engine_error {
    engine_error e = engine_error::internal(what);
    e.message = what;
    return e;
  };
  if (s.started || s.stopped) return fail("http server already started");
  const auto& cfg = s.shared->config;

  auto cors = cors_policy::create(cfg.cors_origins, !cfg.api_token.empty());
  if (!cors) return cors.error();
  s.shared->cors = std::move(*cors);

  std::string where = cfg.listen_host + ":" + std::to_string(cfg.listen_port);
  beast::error_code ec;
  tcp::endpoint endpoint;
  auto address = net::ip::make_address(cfg.listen_host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, cfg.listen_port);
  } else {
    tcp::resolver resolver(s.ioc);
    auto results = resolver.resolve(cfg.listen_host, std::to_string(cfg.listen_port), ec);
    if (ec || results.empty())
      return fail("cannot resolve listen address " + where + ": " +
                  (ec ? ec.message() : std::string("no address")));
    endpoint = results.begin()->endpoint();
  }
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    s.acceptor.close(ignored);
    return fail("cannot listen on " + where + ": " + ec.message());
  }
  s.port = s.acceptor.local_endpoint(ec).port();

  s.started = true;
  s.accepting = true;
  s.work.emplace(s.ioc.get_executor());
  s.accept();
  unsigned n = std::max(1u, cfg.http_threads);
  s.threads.reserve(n);
  for (unsigned i = 0; i < n; ++i) s.threads.emplace_back([&s] { s.ioc.run(); });
  return unit{};
}

void http_server::stop(std::chrono::milliseconds drain) {
  auto& s = *impl_;
  std::lock_guard<std::mutex> stop_lock(s.stop_mu);
  if (s.stopped) return;
  s.stopped = true;
  if (!s.started) return;

  // New connections are refused from here; requests on open ones get 503.
  s.shared->draining = true;
  s.accepting = false;
  std::promise<void> closed;
  net::post(s.acceptor.get_executor(), [&s, &closed] {
    beast::error_code ec;
    s.acceptor.close(ec);
    s.retry_timer.cancel();
    closed.set_value();
  });
  closed.get_future().wait();

  {
    std::unique_lock<std::mutex> lk(s.shared->flight_mu);
    s.shared->flight_cv.wait_for(lk, drain, [&] { return s.shared->in_flight == 0; });
  }

  s.work.reset();
  s.ioc.stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();

  {
    std::lock_guard<std::mutex> lk(s.shared->gate_mu);
    s.shared->closed = true; // late engine callbacks are dropped from now on
  }
  std::vector<std::shared_ptr<session>> open;
  {
    std::lock_guard<std::mutex> lk(s.shared->sessions_mu);
    for (auto& [ptr, weak] : s.shared->sessions)
      if (auto sp = weak.lock()) open.push_back(std::move(sp));
  }
  for (auto& sp : open) sp->close_now();
  open.clear(); // sessions die here (or with the io_context's queued handlers)
}

std::uint16_t http_server::port() const { return impl_->port; }

} // namespace ff
