// create / get / state / result of executions against a real redis-server.

#include <doctest/doctest.h>

#include <map>

#include "core/clock.hpp"
#include "tests/backend/valkey_fixture.hpp"

using namespace ff;
using namespace ff::test;
namespace k = ff::valkey_keys;

namespace {

std::map<std::string, std::string> hgetall(valkey_fixture& fx, const std::string& key) {
  auto r = fx.cmd({"HGETALL", key});
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
    out[r.elements[i].str] = r.elements[i + 1].str;
  return out;
}

create_execution_outcome create_ok(valkey_fixture& fx, const create_execution_args& a) {
  auto r = fx.backend->create_execution(a);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().text()));
  return *r;
}

// ZSCORE as an exact integer (scores here are integers below 2^53).
std::int64_t zscore(valkey_fixture& fx, const std::string& key, const std::string& member) {
  auto r = fx.cmd({"ZSCORE", key, member});
  REQUIRE_MESSAGE(r.is_string(), (key + " has no member " + member));
  return static_cast<std::int64_t>(std::stod(r.str));
}

} // namespace

TEST_CASE("create then get returns every field, in the state of transition 1") {
  valkey_fixture fx;
  auto a = sample_create_args(7);
  a.required_capabilities = "gpu,linux";
  a.budget_ids = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
  a.quota_policy_id = "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716";

  const std::int64_t before = now_ms();
  auto created = create_ok(fx, a);
  const std::int64_t after = now_ms();
  CHECK(created.created);
  CHECK(created.execution_id == a.execution_id);
  CHECK(created.public_state == "waiting");

  auto got = fx.backend->get_execution(a.execution_id);
  REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().text()));
  const execution_info& info = *got;
  CHECK(info.execution_id == a.execution_id);
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

  // The stored record holds every exec_core field with its initial value.
  auto core = hgetall(fx, k::exec_core_key(a.execution_id));
  const std::string created_at = std::to_string(info.created_at);
  const std::map<std::string, std::string> expected_core = {
      {"execution_id", a.execution_id}, {"namespace", "tenant-a"}, {"lane_id", "default"},
      {"execution_kind", "send_email"}, {"partition_id", "7"}, {"priority", "5"},
      {"creator_identity", "tester"}, {"payload_encoding", "json"}, {"flow_id", ""},
      {"required_capabilities", "gpu,linux"}, {"budget_ids", a.budget_ids},
      {"quota_policy_id", a.quota_policy_id}, {"execution_deadline_at", ""},
      {"lifecycle_phase", "runnable"}, {"ownership_state", "unowned"},
      {"eligibility_state", "eligible_now"}, {"blocking_reason", "waiting_for_worker"},
      {"blocking_detail", ""}, {"terminal_outcome", "none"},
      {"attempt_state", "pending_first_attempt"}, {"public_state", "waiting"},
      {"total_attempt_count", "0"}, {"current_attempt_index", ""}, {"current_attempt_id", ""},
      {"current_lease_id", ""}, {"current_lease_epoch", "0"}, {"current_worker_id", ""},
      {"current_worker_instance_id", ""}, {"current_lane", "default"}, {"retry_count", "0"},
      {"replay_count", "0"}, {"lease_reclaim_count", "0"}, {"created_at", created_at},
      {"started_at", ""}, {"completed_at", ""}, {"last_transition_at", created_at},
      {"last_mutation_at", created_at}, {"delay_until", ""}, {"lease_acquired_at", ""},
      {"lease_expires_at", ""}, {"lease_last_renewed_at", ""}, {"lease_renewal_deadline", ""},
      {"lease_expired_at", ""}, {"lease_revoked_at", ""}, {"lease_revoke_reason", ""},
      {"current_suspension_id", ""}, {"current_waitpoint_id", ""},
      {"pending_retry_reason", ""}, {"pending_replay_reason", ""},
      {"pending_replay_requested_by", ""}, {"pending_previous_attempt_index", ""},
      {"failure_reason", ""}, {"cancellation_reason", ""}, {"cancelled_by", ""},
      {"progress_pct", ""}, {"progress_message", ""}, {"progress_updated_at", ""},
      {"last_capability_mismatch_at", ""}, {"last_hmac_validation_failed_at", ""},
  };
  CHECK(core == expected_core);

  // Queued on its lane, indexed, and nothing in the delayed set.
  const std::string tag = "{fp:7}";
  CHECK(zscore(fx, k::lane_eligible_key(tag, "default"), a.execution_id) ==
        info.created_at - 5 * 1'000'000'000'000LL);
  CHECK(fx.cmd({"EXISTS", k::lane_delayed_key(tag, "default")}).integer == 0);
  CHECK(zscore(fx, k::all_executions_key(tag), a.execution_id) == 0);
  CHECK(fx.cmd({"EXISTS", k::execution_deadline_key(tag)}).integer == 0);
}

TEST_CASE("a future delay_until creates a delayed execution") {
  valkey_fixture fx;
  auto a = sample_create_args(3);
  a.delay_until = now_ms() + 3'600'000;
  auto created = create_ok(fx, a);
  CHECK(created.public_state == "delayed");

  auto info = fx.backend->get_execution(a.execution_id);
  REQUIRE(info.has_value());
  CHECK(info->state.eligibility_state == "not_eligible_until_time");
  CHECK(info->state.blocking_reason == "waiting_for_delay");
  CHECK(info->state.public_state == "delayed");
  CHECK(info->state.attempt_state == "pending_first_attempt");
  CHECK(zscore(fx, k::lane_delayed_key("{fp:3}", "default"), a.execution_id) == a.delay_until);
  CHECK(fx.cmd({"ZSCORE", k::lane_eligible_key("{fp:3}", "default"), a.execution_id}).kind ==
        redis_value::type::nil);
  CHECK(fx.cmd({"HGET", k::exec_core_key(a.execution_id), "delay_until"}).str ==
        std::to_string(a.delay_until));
}

TEST_CASE("a past delay_until is eligible at once") {
  valkey_fixture fx;
  auto a = sample_create_args(3);
  a.delay_until = now_ms() - 60'000;
  auto created = create_ok(fx, a);
  CHECK(created.public_state == "waiting");
  CHECK(fx.cmd({"ZSCORE", k::lane_eligible_key("{fp:3}", "default"), a.execution_id})
            .is_string());
  CHECK(fx.cmd({"EXISTS", k::lane_delayed_key("{fp:3}", "default")}).integer == 0);
  CHECK(fx.cmd({"HGET", k::exec_core_key(a.execution_id), "delay_until"}).str.empty());
}

TEST_CASE("priority is clamped to 0..9000 and orders the eligible queue") {
  valkey_fixture fx;
  const std::string queue = k::lane_eligible_key("{fp:2}", "gpu");

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
  CHECK(zscore(fx, queue, low.execution_id) == low_info->created_at);
  // The extreme score must be exact, not rounded to 14 digits.
  CHECK(zscore(fx, queue, high.execution_id) ==
        high_info->created_at - 9000 * 1'000'000'000'000LL);

  auto head = fx.cmd({"ZRANGE", queue, "0", "0"});
  REQUIRE(head.elements.size() == 1);
  CHECK(head.elements[0].str == high.execution_id);
}

TEST_CASE("creating an existing id is a duplicate that changes nothing") {
  valkey_fixture fx;
  auto a = sample_create_args(4);
  create_ok(fx, a);
  const auto core_before = hgetall(fx, k::exec_core_key(a.execution_id));

  auto again = a;
  again.priority = 100;
  again.lane_id = "gpu";
  again.input_payload = "other";
  auto dup = create_ok(fx, again);
  CHECK_FALSE(dup.created);
  CHECK(dup.execution_id == a.execution_id);
  CHECK(dup.public_state.empty());

  CHECK(hgetall(fx, k::exec_core_key(a.execution_id)) == core_before);
  CHECK(fx.cmd({"GET", k::exec_payload_key(a.execution_id)}).str == a.input_payload);
  CHECK(fx.cmd({"EXISTS", k::lane_eligible_key("{fp:4}", "gpu")}).integer == 0);
}

TEST_CASE("an idempotency key returns the original id, scoped by namespace") {
  valkey_fixture fx;
  auto first = sample_create_args(5);
  first.idempotency_key = "order-17";
  create_ok(fx, first);

  const std::string idem = k::idempotency_key("{fp:5}", "tenant-a", "order-17");
  CHECK(fx.cmd({"GET", idem}).str == first.execution_id);
  const auto ttl = fx.cmd({"PTTL", idem}).integer;
  CHECK(ttl > 86'400'000 - 60'000);
  CHECK(ttl <= 86'400'000);

  auto retry = sample_create_args(5); // a fresh id, same key and namespace
  retry.idempotency_key = "order-17";
  auto dup = create_ok(fx, retry);
  CHECK_FALSE(dup.created);
  CHECK(dup.execution_id == first.execution_id);
  CHECK(fx.cmd({"EXISTS", k::exec_core_key(retry.execution_id)}).integer == 0);

  auto other_tenant = sample_create_args(5);
  other_tenant.idempotency_key = "order-17";
  other_tenant.namespace_name = "tenant-b";
  auto created = create_ok(fx, other_tenant);
  CHECK(created.created);
  CHECK(created.execution_id == other_tenant.execution_id);

  // Without a key nothing is remembered.
  auto plain = sample_create_args(5);
  create_ok(fx, plain);
  CHECK(fx.cmd({"EXISTS", k::noop_key("{fp:5}")}).integer == 0);
}

TEST_CASE("payload, policy, tags and deadline are stored") {
  valkey_fixture fx;
  auto a = sample_create_args(6);
  a.policy_json = R"({"retry_policy":{"max_retries":3}})";
  a.tags = {{"app.team", "payments"},
            {"app.note", "quote \" backslash \\ newline \n tab \t bell \x07 caf\xc3\xa9"}};
  a.execution_deadline_at = now_ms() + 600'000;
  create_ok(fx, a);

  CHECK(fx.cmd({"GET", k::exec_payload_key(a.execution_id)}).str == a.input_payload);
  CHECK(fx.cmd({"GET", k::exec_policy_key(a.execution_id)}).str == a.policy_json);
  auto tags = hgetall(fx, k::exec_tags_key(a.execution_id));
  CHECK(tags == std::map<std::string, std::string>(a.tags.begin(), a.tags.end()));
  CHECK(zscore(fx, k::execution_deadline_key("{fp:6}"), a.execution_id) ==
        a.execution_deadline_at);
  CHECK(fx.cmd({"HGET", k::exec_core_key(a.execution_id), "execution_deadline_at"}).str ==
        std::to_string(a.execution_deadline_at));

  // Empty payload and no tags: no keys; no policy: "{}".
  auto bare = sample_create_args(6);
  bare.input_payload.clear();
  bare.policy_json.clear();
  create_ok(fx, bare);
  CHECK(fx.cmd({"EXISTS", k::exec_payload_key(bare.execution_id)}).integer == 0);
  CHECK(fx.cmd({"EXISTS", k::exec_tags_key(bare.execution_id)}).integer == 0);
  CHECK(fx.cmd({"GET", k::exec_policy_key(bare.execution_id)}).str == "{}");
}

TEST_CASE("create rejects malformed input before writing anything") {
  valkey_fixture fx;
  SUBCASE("malformed policy") {
    auto a = sample_create_args(8);
    a.policy_json = "{not json";
    auto r = fx.backend->create_execution(a);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == error_kind::validation);
    CHECK(r.error().code == "invalid_policy_json");
    CHECK(fx.cmd({"EXISTS", k::exec_core_key(a.execution_id)}).integer == 0);
  }
  SUBCASE("partition differs from the id") {
    auto a = sample_create_args(8);
    a.partition = 9;
    auto r = fx.backend->create_execution(a);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == error_kind::invalid_input);
  }
  SUBCASE("not an execution id") {
    auto a = sample_create_args(8);
    a.execution_id = "not-an-id";
    auto r = fx.backend->create_execution(a);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == error_kind::invalid_input);
  }
  SUBCASE("the Lua side validates numeric arguments") {
    auto r = fx.raw.command({"FCALL", "ff_create_execution", "9", "c", "p", "po", "t", "el",
                             "de", "i", "dl", "all", "{fp:1}:x", "ns", "lane", "kind", "",
                             "", "high", "me", "", "", "", "", "", "", "", "", "1"});
    REQUIRE(r.has_value());
    REQUIRE(r->elements.size() == 3);
    CHECK(r->elements[0].integer == 0);
    CHECK(r->elements[1].str == "invalid_input");
    CHECK(r->elements[2].str == "priority:not_an_integer");
    CHECK(fx.cmd({"EXISTS", "c"}).integer == 0);
  }
}

TEST_CASE("reads of a missing execution are not_found") {
  valkey_fixture fx;
  const std::string missing = execution_id::mint(11).value;

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

  auto bad_id = fx.backend->get_execution("{fp:1}:nope");
  REQUIRE_FALSE(bad_id.has_value());
  CHECK(bad_id.error().kind == error_kind::invalid_input);
}

TEST_CASE("a result is returned only once the execution completed") {
  valkey_fixture fx;
  auto a = sample_create_args(12);
  create_ok(fx, a);
  const std::string core = k::exec_core_key(a.execution_id);
  const std::string result_key = k::exec_result_key(a.execution_id);

  auto before = fx.backend->get_execution_result(a.execution_id);
  REQUIRE(before.has_value());
  CHECK_FALSE(before->found);

  // A result stored early is still not served while the execution runs.
  const std::string bytes("{\"ok\":true}\0\xff", 13);
  fx.cmd({"SET", result_key, bytes});
  auto running = fx.backend->get_execution_result(a.execution_id);
  REQUIRE(running.has_value());
  CHECK_FALSE(running->found);

  // Completion is written by ff_complete_execution (a later area); stand in for it.
  fx.cmd({"HSET", core, "lifecycle_phase", "terminal", "terminal_outcome", "success",
          "public_state", "completed"});
  auto done = fx.backend->get_execution_result(a.execution_id);
  REQUIRE(done.has_value());
  CHECK(done->found);
  CHECK(done->bytes == bytes);

  fx.cmd({"DEL", result_key});
  auto trimmed = fx.backend->get_execution_result(a.execution_id);
  REQUIRE(trimmed.has_value());
  CHECK_FALSE(trimmed->found);

  fx.cmd({"SET", result_key, bytes});
  fx.cmd({"HSET", core, "terminal_outcome", "failed", "public_state", "failed"});
  auto failed = fx.backend->get_execution_result(a.execution_id);
  REQUIRE(failed.has_value());
  CHECK_FALSE(failed->found);
}

TEST_CASE("a stored state that is not a valid state reads as corruption, never as data") {
  valkey_fixture fx;
  auto a = sample_create_args(3);
  create_ok(fx, a);
  const auto core = k::exec_core_key(a.execution_id);
  for (const char* field : {"public_state", "lifecycle_phase", "eligibility_state",
                            "blocking_reason", "terminal_outcome", "ownership_state"}) {
    CAPTURE(field);
    auto saved = fx.cmd({"HGET", core, field}).str;
    fx.cmd({"HSET", core, field, "not_a_real_state"});
    auto info = fx.backend->get_execution(a.execution_id);
    REQUIRE_FALSE(info.has_value());
    CHECK(info.error().kind == error_kind::validation);
    CHECK(info.error().code == "validation_error");
    CHECK(info.error().text().find(std::string(field) + ":not_a_real_state") != std::string::npos);
    auto state = fx.backend->get_execution_state(a.execution_id);
    REQUIRE_FALSE(state.has_value());
    CHECK(state.error().code == "validation_error");
    fx.cmd({"HSET", core, field, saved});
  }
  // A valid label that disagrees with the vector reads as the derivation.
  fx.cmd({"HSET", core, "public_state", "completed"});
  auto info = fx.backend->get_execution(a.execution_id);
  REQUIRE(info.has_value());
  CHECK(info->state.public_state == "waiting");
  auto state = fx.backend->get_execution_state(a.execution_id);
  REQUIRE(state.has_value());
  CHECK(*state == "waiting");
}
