#include "http/handler.hpp"

#include "http/error_mapping.hpp"

namespace ff {

responder::state::~state() {
  // Last copy gone without a reply: answer rather than leave the client
  // waiting on a connection that will never speak again.
  if (!sent.load() && channel)
    channel->deliver([] {
      return error_response(engine_error::internal("request dropped without a reply"));
    });
}

} // namespace ff
