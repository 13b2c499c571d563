#include "actors/store_probe_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/messages.hpp"

namespace ff {

caf::behavior store_probe_actor_behavior(caf::stateful_actor<store_probe_state>* self,
                                         backend_factory factory,
                                         std::shared_ptr<store_health> health,
                                         store_probe_settings settings) {
  auto& st = self->state;
  st.backend = factory();
  st.health = std::move(health);
  st.settings = settings;
  self->send(self, tick_atom::value);
  return {
    [self](tick_atom) {
      auto& st = self->state;
      bool was_down = st.health->down();
      auto r = st.backend->ping();
      if (r) {
        st.health->mark_up();
        if (was_down) spdlog::info("store reachable again");
      } else {
        st.health->mark_down(r.error().text());
        if (!was_down) spdlog::error("store unreachable: {}", r.error().text());
      }
      self->delayed_send(self, r ? st.settings.interval_up : st.settings.interval_down,
                         tick_atom::value);
    },
  };
}

} // namespace ff
