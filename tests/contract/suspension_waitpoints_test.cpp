// Pending waitpoints (create, buffer, activate on suspend, expiry), the
// pending-waitpoints listing and the token read.

#include <doctest/doctest.h>

#include <set>

#include "tests/contract/backend_factory.hpp"
#include "tests/contract/suspension_support.hpp"

using namespace ff;
using namespace ff::test;

CONTRACT_TEST("a pending waitpoint buffers signals; a suspend that activates it is already satisfied") {
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  auto req = pending_request(lease, "callback");
  auto created = pending_ok(fx, req);
  CHECK(created.waitpoint_id == req.waitpoint_id);
  CHECK(created.waitpoint_key == "callback");
  CHECK(created.waitpoint_token == req.waitpoint_token);
  CHECK(waitpoint_state(fx, eid, req.waitpoint_id) == "pending");
  CHECK(*fx.backend->get_waitpoint_token(eid, req.waitpoint_id) == req.waitpoint_token);
  // A second create of the same id is rejected while it is pending.
  CHECK(error_code(fx.backend->create_pending_waitpoint(req)) == "waitpoint_already_exists");

  auto sig = signal_request(eid, req.waitpoint_id, "done", "webhook");
  auto buffered = deliver_ok(fx, sig);
  CHECK(buffered.effect == "buffered_for_pending_waitpoint");
  CHECK_FALSE(buffered.became_eligible);
  auto progress = deliver_ok(fx, signal_request(eid, req.waitpoint_id, "progress", "webhook"));
  CHECK(progress.effect == "buffered_for_pending_waitpoint");
  CHECK_FALSE(progress.became_eligible);
  CHECK(public_state_of(fx, eid) == "active");

  // Activating it: the buffered `done` satisfies the condition at once.
  suspend_args s;
  s.execution_id = eid;
  s.fence = fence_of(lease);
  s.suspension_id = new_uuid();
  s.waitpoints = {activate(req.waitpoint_id)};
  s.resume_condition_json = single_on("callback", "done");
  auto out = suspend_ok(fx, s);
  CHECK(out.status == suspend_status::already_satisfied);
  REQUIRE(out.waitpoints.size() == 1);
  CHECK(out.waitpoints[0].waitpoint_key == "callback");
  CHECK(out.waitpoints[0].waitpoint_token == req.waitpoint_token);
  REQUIRE(out.signals.size() == 2);
  CHECK(out.signals[0].signal_id == sig.signal_id);
  CHECK(out.signals[0].signal_name == "done");
  CHECK(out.signals[1].signal_name == "progress");
  // Lease kept, execution unchanged; the pending waitpoint is consumed.
  auto info = info_of(fx, eid);
  CHECK(info.state.public_state == "active");
  CHECK(info.state.ownership_state == "leased");
  renew_lease_args renew;
  renew.execution_id = eid;
  renew.fence = fence_of(lease);
  CHECK(fx.backend->renew_lease(renew).has_value());
  CHECK(waitpoint_state(fx, eid, req.waitpoint_id).empty());
  CHECK(error_code(fx.backend->get_waitpoint_token(eid, req.waitpoint_id)) == "not_found");
  // The worker goes on and completes under the same lease.
  REQUIRE(fx.backend->complete_execution(complete_request(lease)).has_value());
}

CONTRACT_TEST("activating a pending waitpoint that is not yet satisfied suspends with its signals") {
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  const std::int64_t expires = now_ms() + 3'600'000;
  auto p = pending_ok(fx, pending_request(lease, "votes", expires));
  auto early = signal_request(eid, p.waitpoint_id, "vote", "alice");
  deliver_ok(fx, early);

  suspend_args s;
  s.execution_id = eid;
  s.fence = fence_of(lease);
  s.suspension_id = new_uuid();
  s.waitpoints = {activate(p.waitpoint_id)};
  s.waitpoints.push_back(fresh_waitpoints(eid, {"fresh"})[0]);
  s.resume_condition_json =
      R"({"type":"count","n":2,"count_kind":"distinct_sources","waitpoint_keys":["votes","fresh"]})";
  auto out = suspend_ok(fx, s);
  CHECK(out.status == suspend_status::suspended);
  CHECK(out.signals.empty());
  CHECK(public_state_of(fx, eid) == "suspended");
  CHECK(waitpoint_state(fx, eid, p.waitpoint_id) == "active");
  CHECK(*fx.backend->get_waitpoint_token(eid, p.waitpoint_id) == p.waitpoint_token);
  // Active now: the pending expiry no longer applies.
  auto idle = fx.backend->expire_pending_waitpoints(scan(7, expires + 1));
  REQUIRE(idle.has_value());
  CHECK(idle->changed == 0);
  CHECK(waitpoint_state(fx, eid, p.waitpoint_id) == "active");

  // alice again adds nothing; bob on the fresh waitpoint completes the count.
  CHECK(deliver_ok(fx, signal_request(eid, p.waitpoint_id, "vote", "alice")).effect ==
        "appended_to_waitpoint_duplicate");
  auto late = signal_request(eid, out.waitpoints[1].waitpoint_id, "vote", "bob");
  CHECK(deliver_ok(fx, late).effect == "resume_condition_satisfied");
  auto resumed = acquire_lease(fx, eid, "w2");
  REQUIRE(resumed.signals.size() == 3);
  CHECK(resumed.signals[0].signal_id == early.signal_id);
  CHECK(resumed.signals[2].signal_id == late.signal_id);
}

CONTRACT_TEST("pending waitpoint rules: lease, ownership, state, expiry") {
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  auto stale = pending_request(lease, "k");
  stale.fence.lease_id = new_uuid();
  CHECK(error_code(fx.backend->create_pending_waitpoint(stale)) == "stale_lease");
  auto unfenced = pending_request(lease, "k");
  unfenced.fence = {};
  CHECK(error_code(fx.backend->create_pending_waitpoint(unfenced)) == "fence_required");
  CHECK(open_waitpoints(fx, eid).empty());

  // A waitpoint of another execution cannot be activated here.
  const auto other = create(fx);
  auto other_lease = acquire_lease(fx, other, "w9");
  auto foreign = pending_ok(fx, pending_request(other_lease, "k"));
  suspend_args s;
  s.execution_id = eid;
  s.fence = fence_of(lease);
  s.suspension_id = new_uuid();
  s.waitpoints = {activate(foreign.waitpoint_id)};
  s.resume_condition_json = R"({"type":"operator_only"})";
  CHECK(error_code(fx.backend->suspend_execution(s)) == "invalid_waitpoint_for_execution");

  auto expired = pending_ok(fx, pending_request(lease, "k", now_ms() - 1));
  s.waitpoints = {activate(expired.waitpoint_id)};
  CHECK(error_code(fx.backend->suspend_execution(s)) == "pending_waitpoint_expired");
  s.waitpoints = {activate(new_uuid())};
  CHECK(error_code(fx.backend->suspend_execution(s)) == "waitpoint_not_found");
  // Fresh and pending keys must be distinct; the condition may only name them.
  auto mine = pending_ok(fx, pending_request(lease, "mine"));
  s.waitpoints = {activate(mine.waitpoint_id)};
  s.resume_condition_json = single_on("someone-else");
  CHECK(error_code(fx.backend->suspend_execution(s)) == "invalid_input");
  CHECK(public_state_of(fx, eid) == "active");
  CHECK(waitpoint_state(fx, eid, mine.waitpoint_id) == "pending");

  s.resume_condition_json = single_on("mine");
  suspend_ok(fx, s);
  CHECK(public_state_of(fx, eid) == "suspended");
  CHECK(waitpoint_state(fx, eid, mine.waitpoint_id) == "active");
  // A signal on it now counts towards the condition instead of buffering.
  CHECK(deliver_ok(fx, signal_request(eid, mine.waitpoint_id)).effect ==
        "resume_condition_satisfied");
}

CONTRACT_TEST("pending waitpoint expiry closes them") {
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  const std::int64_t at = now_ms() + 60'000;
  auto soon = pending_ok(fx, pending_request(lease, "soon", at));
  auto later = pending_ok(fx, pending_request(lease, "later", at + 60'000));
  auto forever = pending_ok(fx, pending_request(lease, "forever"));

  auto idle = fx.backend->expire_pending_waitpoints(scan(7, at - 1));
  REQUIRE(idle.has_value());
  CHECK(idle->changed == 0);
  auto batch = fx.backend->expire_pending_waitpoints(scan(7, at));
  REQUIRE_MESSAGE(batch.has_value(), (batch ? "" : batch.error().text()));
  CHECK(batch->examined == 1);
  CHECK(batch->changed == 1);
  CHECK(batch->became_eligible.empty());
  CHECK(waitpoint_state(fx, eid, soon.waitpoint_id).empty());
  CHECK(error_code(fx.backend->get_waitpoint_token(eid, soon.waitpoint_id)) == "not_found");
  CHECK(waitpoint_state(fx, eid, later.waitpoint_id) == "pending");
  CHECK(error_code(fx.backend->deliver_signal(signal_request(eid, soon.waitpoint_id))) ==
        "waitpoint_closed");
  CHECK(public_state_of(fx, eid) == "active");

  // The execution finishing closes the rest.
  REQUIRE(fx.backend->complete_execution(complete_request(lease)).has_value());
  CHECK(open_waitpoints(fx, eid).empty());
  CHECK(error_code(fx.backend->get_waitpoint_token(eid, later.waitpoint_id)) == "not_found");
  CHECK(error_code(fx.backend->get_waitpoint_token(eid, forever.waitpoint_id)) == "not_found");
  // Nothing is left for the expiry scanner.
  auto after = fx.backend->expire_pending_waitpoints(scan(7, at + 120'000));
  REQUIRE(after.has_value());
  CHECK(after->changed == 0);
}

CONTRACT_TEST("list_pending_waitpoints pages pending and active waitpoints") {
  const auto eid = create(fx);
  auto lease = acquire_lease(fx, eid);
  std::set<std::string> pending_ids;
  for (int i = 0; i < 3; ++i)
    pending_ids.insert(pending_ok(fx, pending_request(lease, "p" + std::to_string(i),
                                                      i == 0 ? now_ms() + 60'000 : 0))
                           .waitpoint_id);
  auto closed = pending_ok(fx, pending_request(lease, "gone", now_ms() + 1));
  REQUIRE(fx.backend->expire_pending_waitpoints(scan(7, now_ms() + 10)).has_value());
  auto req = suspend_request(
      lease, {"a", "b"},
      R"({"type":"all_of","members":[{"type":"single","waitpoint_key":"a","signal_name":"yes"},
          {"type":"count","n":1,"count_kind":"distinct_sources","waitpoint_keys":["a","b"],
           "signal_name":"maybe"}]})");
  req.timeout_at = now_ms() + 3'600'000;
  auto out = suspend_ok(fx, req);

  std::vector<pending_waitpoint_info> all;
  list_pending_waitpoints_args a;
  a.execution_id = eid;
  a.limit = 2;
  int pages = 0;
  while (true) {
    auto page = fx.backend->list_pending_waitpoints(a);
    REQUIRE_MESSAGE(page.has_value(), (page ? "" : page.error().text()));
    CHECK(page->waitpoints.size() <= 2);
    all.insert(all.end(), page->waitpoints.begin(), page->waitpoints.end());
    ++pages;
    if (page->next_cursor.empty())
      break;
    a.cursor = page->next_cursor;
    REQUIRE(pages < 10);
  }
  CHECK(pages == 3);
  REQUIRE(all.size() == 5); // three pending + two active, the closed one left out
  for (std::size_t i = 1; i < all.size(); ++i)
    CHECK(all[i - 1].waitpoint_id < all[i].waitpoint_id);
  for (const auto& w : all) {
    CAPTURE(w.waitpoint_key);
    CHECK(w.waitpoint_id != closed.waitpoint_id);
    CHECK(w.execution_id == eid.value);
    CHECK(w.token_kid == "k1");
    CHECK(w.token_fingerprint == token_fingerprint(mint(eid, w.waitpoint_id)));
    CHECK(w.created_at > 0);
    if (pending_ids.count(w.waitpoint_id)) {
      CHECK(w.state == "pending");
      CHECK(w.activated_at == 0);
      CHECK(w.required_signal_names.empty());
      CHECK((w.expires_at > 0) == (w.waitpoint_key == "p0"));
    } else {
      CHECK(w.state == "active");
      CHECK(w.activated_at > 0);
      CHECK(w.expires_at == req.timeout_at);
      if (w.waitpoint_key == "a")
        CHECK(w.required_signal_names == std::vector<std::string>{"maybe", "yes"});
      else
        CHECK(w.required_signal_names == std::vector<std::string>{"maybe"});
    }
  }
  CHECK(out.waitpoints.size() == 2);

  a.cursor.clear();
  a.limit = 0;
  CHECK(error_code(fx.backend->list_pending_waitpoints(a)) == "invalid_input");
  a.limit = 10;
  a.execution_id = execution_id::mint(7);
  CHECK(error_code(fx.backend->list_pending_waitpoints(a)) == "execution_not_found");
}

CONTRACT_TEST("get_waitpoint_token answers only an open waitpoint of that execution") {
  auto s = create_and_suspend(fx, {"k"}, single_on("k"));
  auto token = fx.backend->get_waitpoint_token(s.eid, s.wp(0));
  REQUIRE(token.has_value());
  CHECK(*token == s.request.waitpoints[0].waitpoint_token);
  auto t = create_and_suspend(fx, {"k"}, single_on("k"));
  CHECK(error_code(fx.backend->get_waitpoint_token(t.eid, s.wp(0))) == "not_found");
  CHECK(error_code(fx.backend->get_waitpoint_token(s.eid, new_uuid())) == "not_found");
  CHECK(error_code(fx.backend->get_waitpoint_token(s.eid, "nope")) == "invalid_input");
  deliver_ok(fx, signal_request(s.eid, s.wp(0)));
  auto gone = fx.backend->get_waitpoint_token(s.eid, s.wp(0));
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.error().kind == error_kind::not_found);
}
