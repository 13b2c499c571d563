#include "backends/valkey/redis_connection.hpp"

#include <hiredis/hiredis.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>
#include <sys/time.h>

namespace ff {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// hiredis writes with plain write(): a peer that went away would raise
// SIGPIPE and kill the process instead of returning EPIPE. A server process
// never wants that default, so ignore it unless someone installed a handler.
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
      std::signal(SIGPIPE, SIG_IGN);
  });
}

redis_value copy_reply(const redisReply* r) {
  redis_value v;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      v.kind = redis_value::type::string;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      v.kind = redis_value::type::status;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.kind = redis_value::type::error;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.kind = redis_value::type::integer;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.kind = redis_value::type::array;
      v.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i)
        v.elements.push_back(copy_reply(r->element[i]));
      break;
    default:
      v.kind = redis_value::type::nil;
      break;
  }
  return v;
}

struct reply_deleter {
  void operator()(void* r) const { freeReplyObject(r); }
};

} // namespace

redis_connection::redis_connection(valkey_options opts) : opts_(std::move(opts)) {
  ignore_sigpipe_once();
}

redis_connection::~redis_connection() { disconnect(); }

void redis_connection::disconnect() {
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

void redis_connection::set_command_timeout(std::chrono::milliseconds timeout) {
  opts_.command_timeout = timeout;
  // A failure leaves the old timeout on the socket; drop the connection so
  // the next call reconnects with the new one.
  if (ctx_ && redisSetTimeout(ctx_, to_timeval(timeout)) != REDIS_OK)
    disconnect();
}

expected<unit> redis_connection::ensure_connected() {
  if (ctx_)
    return unit{};
  const std::string where = opts_.host + ":" + std::to_string(opts_.port);
  redisContext* c =
      redisConnectWithTimeout(opts_.host.c_str(), opts_.port, to_timeval(opts_.connect_timeout));
  if (c == nullptr)
    return engine_error::transport("connect to " + where + ": out of memory");
  if (c->err) {
    std::string reason = c->errstr;
    redisFree(c);
    return engine_error::transport("connect to " + where + ": " + reason);
  }
  if (redisSetTimeout(c, to_timeval(opts_.command_timeout)) != REDIS_OK ||
      redisEnableKeepAlive(c) != REDIS_OK) {
    std::string reason = c->errstr;
    redisFree(c);
    return engine_error::transport("configure connection to " + where + ": " + reason);
  }
  ctx_ = c;
  return unit{};
}

engine_error redis_connection::fail_io(std::string_view what) {
  const int saved_errno = errno;
  std::string reason = ctx_ && ctx_->errstr[0] ? ctx_->errstr : "connection failed";
  // A receive timeout surfaces as an I/O error with EAGAIN. The reply may
  // still arrive later, so the connection cannot be reused either way.
  const bool timed_out = ctx_ && ctx_->err == REDIS_ERR_IO &&
                         (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ||
                          reason == std::strerror(EAGAIN));
  disconnect();
  std::string detail = std::string(what) + " on " + opts_.host + ":" + std::to_string(opts_.port);
  if (timed_out)
    return engine_error::timeout(detail + ": no reply within " +
                                 std::to_string(opts_.command_timeout.count()) + " ms");
  return engine_error::transport(detail + ": " + reason);
}

expected<redis_value> redis_connection::command(const std::vector<std::string_view>& argv) {
  if (auto c = ensure_connected(); !c)
    return std::move(c).error();
  std::vector<const char*> parts;
  std::vector<size_t> lengths;
  parts.reserve(argv.size());
  lengths.reserve(argv.size());
  for (auto a : argv) {
    parts.push_back(a.data());
    lengths.push_back(a.size());
  }
  std::unique_ptr<void, reply_deleter> reply(
      redisCommandArgv(ctx_, static_cast<int>(parts.size()), parts.data(), lengths.data()));
  if (!reply)
    return fail_io(argv.empty() ? std::string_view("command") : argv.front());
  return copy_reply(static_cast<redisReply*>(reply.get()));
}

expected<std::vector<redis_value>> redis_connection::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (auto c = ensure_connected(); !c)
    return std::move(c).error();
  for (const auto& cmd : commands) {
    std::vector<const char*> parts;
    std::vector<size_t> lengths;
    for (const auto& a : cmd) {
      parts.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(parts.size()), parts.data(),
                               lengths.data()) != REDIS_OK)
      return fail_io("pipeline");
  }
  std::vector<redis_value> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr)
      return fail_io("pipeline");
    std::unique_ptr<void, reply_deleter> reply(raw);
    replies.push_back(copy_reply(static_cast<redisReply*>(raw)));
  }
  return replies;
}

} // namespace ff
