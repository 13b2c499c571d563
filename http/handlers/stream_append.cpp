// POST /v1/executions/{id}/attempts/{idx}/stream: appends a batch of frames
// under the fence, one store call per frame, in order (decisions.md §5).

#include <memory>

#include "http/codecs/stream_append_codec.hpp"
#include "http/error_mapping.hpp"
#include "http/handlers/handlers.hpp"
#include "http/json_codec.hpp"

namespace ff {

namespace {

// Each append starts from the previous one's callback, so frames land in
// order without holding a thread; the first error ends the batch and is
// the answer (frames already appended stay appended).
class append_chain : public std::enable_shared_from_this<append_chain> {
public:
  append_chain(engine_gateway& gateway, std::uint16_t partition,
               std::vector<append_frame_args> frames, responder reply)
      : gateway_(gateway), partition_(partition), frames_(std::move(frames)),
        reply_(std::move(reply)) {
    appended_.reserve(frames_.size());
  }

  void next() {
    if (appended_.size() == frames_.size()) {
      reply_.send_with([appended = std::move(appended_)] {
        return http_response::json(200, encode_appended_frames(appended));
      });
      return;
    }
    auto self = shared_from_this();
    gateway_.call<ops::append_frame>(partition_, std::move(frames_[appended_.size()]),
                          [self](expected<append_frame_outcome> r) {
                            if (!r) {
                              self->reply_.send_with([e = std::move(r).error()] {
                                return error_response(e);
                              });
                              return;
                            }
                            self->appended_.push_back(std::move(*r));
                            self->next();
                          });
  }

private:
  engine_gateway& gateway_;
  std::uint16_t partition_;
  std::vector<append_frame_args> frames_;
  std::vector<append_frame_outcome> appended_;
  responder reply_;
};

} // namespace

void handle_append_frames(request_context& ctx) {
  // The typed path parameter is extracted before the body (rest-api.md §1.6).
  std::uint32_t index = 0;
  http_response error;
  if (!path_attempt_index(ctx.params, index, error)) return ctx.reply.send(std::move(error));
  rapidjson::Document doc;
  if (!parse_json_body(ctx.request, doc, error)) return ctx.reply.send(std::move(error));
  auto d = decode_append_frames(ctx.params, index, doc);
  if (!d) return ctx.reply.send(std::move(d.error));

  std::make_shared<append_chain>(ctx.gateway, d.args->partition, std::move(d.args->args),
                                 ctx.reply)
      ->next();
}

} // namespace ff
