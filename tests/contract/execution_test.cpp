// create / get / state / result / list of executions.

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "tests/contract/backend_factory.hpp"
#include "tests/contract/lifecycle_support.hpp"

using namespace ff;
using namespace ff::test;

namespace {

execution_page list(contract_fixture& fx, std::uint16_t partition, std::string cursor,
                    std::uint32_t limit) {
  auto page = fx.backend->list_executions({partition, std::move(cursor), limit});
  REQUIRE_MESSAGE(page.has_value(), (page ? "" : page.error().text()));
  return *page;
}

} // namespace

CONTRACT_TEST("create then get returns every field, in the state of transition 1") {
  auto a = sample_create_args(7);
  a.required_capabilities = "gpu,linux";
  a.budget_ids = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
  a.quota_policy_id = "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716";

  const std::int64_t before = now_ms();
  auto created = create_ok(fx, a);
  const std::int64_t after = now_ms();
  CHECK(created.created);
  CHECK(created.execution_id == a.execution_id.value);
  CHECK(created.public_state == public_state_kind::waiting);

  auto got = fx.backend->get_execution(a.execution_id);
  REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().text()));
  const execution_info& info = *got;
  CHECK(info.execution_id == a.execution_id.value);
  CHECK(info.namespace_name == "tenant-a");
  CHECK(info.lane_id == "default");
  CHECK(info.priority == 5);
  CHECK(info.execution_kind == "send_email");
  CHECK(info.state.lifecycle_phase == "runnable");
  CHECK(info.state.ownership_state == "unowned");
  CHECK(info.state.eligibility_state == "eligible_now");
  CHECK(info.state.blocking_reason == "waiting_for_worker");
  CHECK(info.state.terminal_outcome == "none");
  CHECK(info.state.attempt_state == "pending_first_attempt");
  CHECK(info.state.public_state == "waiting");
  CHECK(info.created_at >= before);
  CHECK(info.created_at <= after);
  CHECK(info.started_at == 0);
  CHECK(info.completed_at == 0);
  CHECK(info.current_attempt_index == 0);
  CHECK(info.flow_id.empty());
  CHECK(info.blocking_detail.empty());

  auto state = fx.backend->get_execution_state(a.execution_id);
  REQUIRE(state.has_value());
  CHECK(*state == "waiting");
}

CONTRACT_TEST("create_executions answers each item on its own, in order") {
  auto existing = sample_create_args(4);
  create_ok(fx, existing);

  create_batch_args batch;
  batch.items.push_back(sample_create_args(4));
  batch.items.back().input_payload = std::string("\0\xff\x80", 3);
  batch.items.push_back(existing);                 // already stored
  batch.items.push_back(sample_create_args(4));
  batch.items.back().idempotency_key = "order-9";
  batch.items.push_back(sample_create_args(4));
  batch.items.back().idempotency_key = "order-9"; // the previous item's key
  batch.items.push_back(sample_create_args(4));
  batch.items.back().policy_json = "{not json";    // refused alone

  auto r = fx.backend->create_executions(batch);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  REQUIRE(r->items.size() == 5);
  CHECK(r->items[0].ok);
  CHECK(r->items[0].outcome.created);
  CHECK(r->items[0].outcome.execution_id == batch.items[0].execution_id.value);
  CHECK(r->items[0].outcome.public_state == public_state_kind::waiting);
  CHECK(r->items[1].ok);
  CHECK_FALSE(r->items[1].outcome.created);
  CHECK(r->items[1].outcome.execution_id == existing.execution_id.value);
  CHECK(r->items[2].ok);
  CHECK(r->items[2].outcome.created);
  CHECK(r->items[3].ok);
  CHECK_FALSE(r->items[3].outcome.created);
  CHECK(r->items[3].outcome.execution_id == batch.items[2].execution_id.value);
  CHECK_FALSE(r->items[4].ok);
  CHECK(r->items[4].error.code == "invalid_policy_json");

  // What was created is stored as a single create stores it.
  CHECK(public_state_of(fx, batch.items[0].execution_id) == "waiting");
  auto got = acquire(fx, 4, "default", "w1");
  REQUIRE(got.acquired);
  auto second = acquire(fx, 4, "default", "w2");
  auto third = acquire(fx, 4, "default", "w3");
  REQUIRE(second.acquired);
  REQUIRE(third.acquired);
  CHECK_FALSE(acquire(fx, 4, "default", "w4").acquired);
  for (const auto& lease : {got.lease, second.lease, third.lease})
    if (lease.execution_id == batch.items[0].execution_id.value)
      CHECK(lease.input_payload == std::string("\0\xff\x80", 3));
  CHECK(error_code(fx.backend->get_execution(batch.items[3].execution_id)) ==
        "execution_not_found");
  CHECK(error_code(fx.backend->get_execution(batch.items[4].execution_id)) ==
        "execution_not_found");
}

CONTRACT_TEST("a future delay_until creates a delayed execution") {
  auto a = sample_create_args(3);
  a.delay_until = now_ms() + 3'600'000;
  auto created = create_ok(fx, a);
  CHECK(created.public_state == public_state_kind::delayed);

  auto info = fx.backend->get_execution(a.execution_id);
  REQUIRE(info.has_value());
  CHECK(info->state.eligibility_state == "not_eligible_until_time");
  CHECK(info->state.blocking_reason == "waiting_for_delay");
  CHECK(info->state.public_state == "delayed");
  CHECK(info->state.attempt_state == "pending_first_attempt");
  // Not claimable before delay_until; promoted at it.
  CHECK_FALSE(acquire(fx, 3, "default", "w1").acquired);
  CHECK(fx.backend->promote_delayed(scan(3, a.delay_until - 1))->changed == 0);
  auto promoted = fx.backend->promote_delayed(scan(3, a.delay_until));
  REQUIRE(promoted.has_value());
  REQUIRE(promoted->became_eligible.size() == 1);
  CHECK(promoted->became_eligible[0].execution_id == a.execution_id.value);
  CHECK(public_state_of(fx, a.execution_id) == "waiting");
}

CONTRACT_TEST("a past delay_until is eligible at once") {
  auto a = sample_create_args(3);
  a.delay_until = now_ms() - 60'000;
  auto created = create_ok(fx, a);
  CHECK(created.public_state == public_state_kind::waiting);
  CHECK(info_of(fx, a.execution_id).state.eligibility_state == "eligible_now");
  auto got = acquire(fx, 3, "default", "w1");
  REQUIRE(got.acquired);
  CHECK(got.lease.execution_id == a.execution_id.value);
}

CONTRACT_TEST("priority is clamped to 0..9000 and orders the eligible queue") {
  auto low = sample_create_args(2, "gpu");
  low.priority = -7;
  create_ok(fx, low);
  auto high = sample_create_args(2, "gpu");
  high.priority = 20000;
  create_ok(fx, high);

  auto low_info = fx.backend->get_execution(low.execution_id);
  auto high_info = fx.backend->get_execution(high.execution_id);
  REQUIRE(low_info.has_value());
  REQUIRE(high_info.has_value());
  CHECK(low_info->priority == 0);
  CHECK(high_info->priority == 9000);

  // The head of the queue is the higher priority, then the other.
  auto first = acquire(fx, 2, "gpu", "w1");
  REQUIRE(first.acquired);
  CHECK(first.lease.execution_id == high.execution_id.value);
  CHECK(first.eligible_remaining == 1);
  auto second = acquire(fx, 2, "gpu", "w1");
  REQUIRE(second.acquired);
  CHECK(second.lease.execution_id == low.execution_id.value);
}

CONTRACT_TEST("creating an existing id is a duplicate that changes nothing") {
  auto a = sample_create_args(4);
  create_ok(fx, a);
  const auto before = describe(info_of(fx, a.execution_id));

  auto again = a;
  again.priority = 100;
  again.lane_id = "gpu";
  again.input_payload = "other";
  auto dup = create_ok(fx, again);
  CHECK_FALSE(dup.created);
  CHECK(dup.execution_id == a.execution_id.value);

  CHECK(describe(info_of(fx, a.execution_id)) == before);
  // Nothing was queued on the other lane; the first payload is the one claimed.
  CHECK_FALSE(acquire(fx, 4, "gpu", "w1").acquired);
  auto got = acquire(fx, 4, "default", "w1");
  REQUIRE(got.acquired);
  CHECK(got.lease.input_payload == a.input_payload);
  CHECK(got.eligible_remaining == 0);
}

CONTRACT_TEST("an idempotency key returns the original id, scoped by namespace") {
  auto first = sample_create_args(5);
  first.idempotency_key = "order-17";
  create_ok(fx, first);

  auto retry = sample_create_args(5); // a fresh id, same key and namespace
  retry.idempotency_key = "order-17";
  auto dup = create_ok(fx, retry);
  CHECK_FALSE(dup.created);
  CHECK(dup.execution_id == first.execution_id.value);
  CHECK(error_code(fx.backend->get_execution(retry.execution_id)) == "execution_not_found");

  auto other_tenant = sample_create_args(5);
  other_tenant.idempotency_key = "order-17";
  other_tenant.namespace_name = "tenant-b";
  auto created = create_ok(fx, other_tenant);
  CHECK(created.created);
  CHECK(created.execution_id == other_tenant.execution_id.value);

  // Without a key nothing is remembered: two creates, two executions.
  auto plain = sample_create_args(5);
  CHECK(create_ok(fx, plain).created);
  auto plain2 = sample_create_args(5);
  CHECK(create_ok(fx, plain2).created);
  CHECK(list(fx, 5, "", 10).execution_ids.size() == 4);
}

CONTRACT_TEST("payload, policy, tags and deadline are stored") {
  auto a = sample_create_args(6);
  a.policy_json = R"({"retry_policy":{"max_retries":3}})";
  a.tags = {{"app.team", "payments"},
            {"app.note", "quote \" backslash \\ newline \n tab \t bell \x07 caf\xc3\xa9"}};
  a.execution_deadline_at = now_ms() + 600'000;
  create_ok(fx, a);

  auto l = acquire_lease(fx, a.execution_id);
  CHECK(l.input_payload == a.input_payload);
  CHECK(l.policy_json == a.policy_json);
  CHECK(l.tags == a.tags);
  // The deadline is due at execution_deadline_at, not before.
  CHECK(fx.backend->expire_execution_deadlines(scan(6, a.execution_deadline_at - 1))->changed ==
        0);
  auto expired = fx.backend->expire_execution_deadlines(scan(6, a.execution_deadline_at));
  REQUIRE(expired.has_value());
  CHECK(expired->changed == 1);
  CHECK(info_of(fx, a.execution_id).state.terminal_outcome == "expired");

  // Empty payload and no tags; no policy reads as "{}".
  auto bare = sample_create_args(5);
  bare.input_payload.clear();
  bare.policy_json.clear();
  create_ok(fx, bare);
  auto b = acquire_lease(fx, bare.execution_id);
  CHECK(b.input_payload.empty());
  CHECK(b.tags.empty());
  CHECK(b.policy_json == "{}");
}

CONTRACT_TEST("create rejects malformed input before writing anything") {
  SUBCASE("malformed policy") {
    auto a = sample_create_args(8);
    a.policy_json = "{not json";
    auto r = fx.backend->create_execution(a);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == error_kind::validation);
    CHECK(r.error().code == "invalid_policy_json");
    CHECK(error_code(fx.backend->get_execution(a.execution_id)) == "execution_not_found");
  }
  CHECK(list(fx, 8, "", 10).execution_ids.empty());
}

CONTRACT_TEST("reads of a missing execution are not_found") {
  const auto missing = execution_id::mint(11);

  auto info = fx.backend->get_execution(missing);
  REQUIRE_FALSE(info.has_value());
  CHECK(info.error().kind == error_kind::not_found);
  CHECK(info.error().code == "execution_not_found");

  auto state = fx.backend->get_execution_state(missing);
  REQUIRE_FALSE(state.has_value());
  CHECK(state.error().kind == error_kind::not_found);
  CHECK(state.error().code == "execution_not_found");

  auto result = fx.backend->get_execution_result(missing);
  REQUIRE(result.has_value());
  CHECK_FALSE(result->found);
}

CONTRACT_TEST("a result is returned only once the execution completed, byte for byte") {
  const std::string bytes("{\"ok\":true}\0\xff", 13);
  const auto eid = create(fx, 12);

  auto before = fx.backend->get_execution_result(eid);
  REQUIRE(before.has_value());
  CHECK_FALSE(before->found);
  auto l = acquire_lease(fx, eid);
  auto running = fx.backend->get_execution_result(eid);
  REQUIRE(running.has_value());
  CHECK_FALSE(running->found);

  REQUIRE(fx.backend->complete_execution(complete_request(l, bytes)).has_value());
  auto done = fx.backend->get_execution_result(eid);
  REQUIRE(done.has_value());
  CHECK(done->found);
  CHECK(done->bytes == bytes);

  // Trimmed with its execution: no result any more.
  const std::int64_t completed_at = info_of(fx, eid).completed_at;
  REQUIRE(fx.backend->trim_retention(scan(12, completed_at + 86'400'000))->changed == 1);
  auto trimmed = fx.backend->get_execution_result(eid);
  REQUIRE(trimmed.has_value());
  CHECK_FALSE(trimmed->found);

  // A failed execution has no result.
  const auto failing = create(fx, 12);
  auto fl = acquire_lease(fx, failing);
  REQUIRE(fx.backend->fail_execution(fail_request(fl, "boom", false)).has_value());
  auto failed = fx.backend->get_execution_result(failing);
  REQUIRE(failed.has_value());
  CHECK_FALSE(failed->found);
}

CONTRACT_TEST("listing pages through a partition in byte order") {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto a = sample_create_args(3);
    REQUIRE(fx.backend->create_execution(a).has_value());
    ids.push_back(a.execution_id.value);
  }
  // Another partition's executions never show up.
  REQUIRE(fx.backend->create_execution(sample_create_args(4)).has_value());
  std::sort(ids.begin(), ids.end());

  auto p1 = list(fx, 3, "", 2);
  CHECK(p1.execution_ids == std::vector<std::string>{ids[0], ids[1]});
  CHECK(p1.next_cursor == ids[1]);

  auto p2 = list(fx, 3, p1.next_cursor, 2);
  CHECK(p2.execution_ids == std::vector<std::string>{ids[2], ids[3]});
  CHECK(p2.next_cursor == ids[3]);

  auto p3 = list(fx, 3, p2.next_cursor, 2);
  CHECK(p3.execution_ids == std::vector<std::string>{ids[4]});
  CHECK(p3.next_cursor.empty());

  SUBCASE("a page that ends exactly at the last id has no next cursor") {
    auto all = list(fx, 3, "", 5);
    CHECK(all.execution_ids == ids);
    CHECK(all.next_cursor.empty());
    auto four = list(fx, 3, "", 4);
    CHECK(four.execution_ids.size() == 4);
    CHECK(four.next_cursor == ids[3]);
  }
  SUBCASE("limit 0 is an empty page") {
    auto none = list(fx, 3, "", 0);
    CHECK(none.execution_ids.empty());
    CHECK(none.next_cursor.empty());
  }
  SUBCASE("the cursor is exclusive and need not be a member") {
    auto after_last = list(fx, 3, ids[4], 10);
    CHECK(after_last.execution_ids.empty());
    // "{fp:3}:" sorts before every id of the partition.
    auto from_prefix = list(fx, 3, "{fp:3}:", 10);
    CHECK(from_prefix.execution_ids == ids);
  }
  SUBCASE("an empty or unknown partition is an empty page") {
    auto empty = list(fx, 200, "", 10);
    CHECK(empty.execution_ids.empty());
    CHECK(empty.next_cursor.empty());
  }
}
