// The stored form of a created execution: exec_core fields, payload /
// policy / tags keys, queue scores, indexes, the idempotency key and its
// TTL; reads of hand-written (and corrupt) stored state.

#include <doctest/doctest.h>

#include <map>

#include "tests/valkey/store_support.hpp"

using namespace ff;
using namespace ff::test;
namespace k = ff::valkey_keys;

namespace {

// ZSCORE as an exact integer (scores here are integers below 2^53).
std::int64_t zscore(valkey_fixture& fx, const std::string& key, const std::string& member) {
  auto r = fx.cmd({"ZSCORE", key, member});
  REQUIRE_MESSAGE(r.is_string(), (key + " has no member " + member));
  return static_cast<std::int64_t>(std::stod(r.str));
}

} // namespace

TEST_CASE("create writes every exec_core field, queues and indexes the execution") {
  valkey_fixture fx;
  auto a = sample_create_args(7);
  a.required_capabilities = "gpu,linux";
  a.budget_ids = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
  a.quota_policy_id = "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716";
  REQUIRE(create_ok(fx, a).created);
  auto info = fx.backend->get_execution(a.execution_id);
  REQUIRE(info.has_value());

  // The stored record holds every exec_core field with its initial value.
  auto core = hash_of(fx, k::exec_core_key(a.execution_id));
  const std::string created_at = std::to_string(info->created_at);
  const std::map<std::string, std::string> expected_core = {
      {"execution_id", a.execution_id.value}, {"namespace", "tenant-a"}, {"lane_id", "default"},
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
  CHECK(zscore(fx, k::lane_eligible_key(tag, "default"), a.execution_id.value) ==
        info->created_at - 5 * 1'000'000'000'000LL);
  CHECK(fx.cmd({"EXISTS", k::lane_delayed_key(tag, "default")}).integer == 0);
  CHECK(zscore(fx, k::all_executions_key(tag), a.execution_id.value) == 0);
  CHECK(fx.cmd({"EXISTS", k::execution_deadline_key(tag)}).integer == 0);
}

TEST_CASE("a future delay_until is held in the lane's delayed set") {
  valkey_fixture fx;
  auto a = sample_create_args(3);
  a.delay_until = now_ms() + 3'600'000;
  REQUIRE(create_ok(fx, a).created);
  CHECK(zscore(fx, k::lane_delayed_key("{fp:3}", "default"), a.execution_id.value) == a.delay_until);
  CHECK(fx.cmd({"ZSCORE", k::lane_eligible_key("{fp:3}", "default"), a.execution_id.value}).kind ==
        redis_value::type::nil);
  CHECK(fx.cmd({"HGET", k::exec_core_key(a.execution_id), "delay_until"}).str ==
        std::to_string(a.delay_until));
}

TEST_CASE("a past delay_until is queued as eligible and not stored") {
  valkey_fixture fx;
  auto a = sample_create_args(3);
  a.delay_until = now_ms() - 60'000;
  REQUIRE(create_ok(fx, a).created);
  CHECK(fx.cmd({"ZSCORE", k::lane_eligible_key("{fp:3}", "default"), a.execution_id.value})
            .is_string());
  CHECK(fx.cmd({"EXISTS", k::lane_delayed_key("{fp:3}", "default")}).integer == 0);
  CHECK(fx.cmd({"HGET", k::exec_core_key(a.execution_id), "delay_until"}).str.empty());
}

TEST_CASE("the eligible score is created_at - priority * 10^12, exact at the extremes") {
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
  CHECK(zscore(fx, queue, low.execution_id.value) == low_info->created_at);
  // The extreme score must be exact, not rounded to 14 digits.
  CHECK(zscore(fx, queue, high.execution_id.value) ==
        high_info->created_at - 9000 * 1'000'000'000'000LL);

  auto head = fx.cmd({"ZRANGE", queue, "0", "0"});
  REQUIRE(head.elements.size() == 1);
  CHECK(head.elements[0].str == high.execution_id.value);
}

TEST_CASE("a duplicate create writes no key") {
  valkey_fixture fx;
  auto a = sample_create_args(4);
  create_ok(fx, a);
  const auto core_before = hash_of(fx, k::exec_core_key(a.execution_id));

  auto again = a;
  again.priority = 100;
  again.lane_id = "gpu";
  again.input_payload = "other";
  REQUIRE_FALSE(create_ok(fx, again).created);

  CHECK(hash_of(fx, k::exec_core_key(a.execution_id)) == core_before);
  CHECK(fx.cmd({"GET", k::exec_payload_key(a.execution_id)}).str == a.input_payload);
  CHECK(fx.cmd({"EXISTS", k::lane_eligible_key("{fp:4}", "gpu")}).integer == 0);
}

TEST_CASE("the idempotency key: its value, its TTL, and no key without one") {
  valkey_fixture fx;
  auto first = sample_create_args(5);
  first.idempotency_key = "order-17";
  create_ok(fx, first);

  const std::string idem = k::idempotency_key("{fp:5}", "tenant-a", "order-17");
  CHECK(fx.cmd({"GET", idem}).str == first.execution_id.value);
  const auto ttl = fx.cmd({"PTTL", idem}).integer;
  CHECK(ttl > 86'400'000 - 60'000);
  CHECK(ttl <= 86'400'000);

  auto retry = sample_create_args(5); // a fresh id, same key and namespace
  retry.idempotency_key = "order-17";
  REQUIRE_FALSE(create_ok(fx, retry).created);
  CHECK(fx.cmd({"EXISTS", k::exec_core_key(retry.execution_id)}).integer == 0);

  // Without a key nothing is remembered.
  auto plain = sample_create_args(5);
  create_ok(fx, plain);
  CHECK(fx.cmd({"EXISTS", k::noop_key("{fp:5}")}).integer == 0);
}

TEST_CASE("payload, policy, tags and deadline keys") {
  valkey_fixture fx;
  auto a = sample_create_args(6);
  a.policy_json = R"({"retry_policy":{"max_retries":3}})";
  a.tags = {{"app.team", "payments"},
            {"app.note", "quote \" backslash \\ newline \n tab \t bell \x07 caf\xc3\xa9"}};
  a.execution_deadline_at = now_ms() + 600'000;
  create_ok(fx, a);

  CHECK(fx.cmd({"GET", k::exec_payload_key(a.execution_id)}).str == a.input_payload);
  CHECK(fx.cmd({"GET", k::exec_policy_key(a.execution_id)}).str == a.policy_json);
  auto tags = hash_of(fx, k::exec_tags_key(a.execution_id));
  CHECK(tags == std::map<std::string, std::string>(a.tags.begin(), a.tags.end()));
  CHECK(zscore(fx, k::execution_deadline_key("{fp:6}"), a.execution_id.value) ==
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

TEST_CASE("create validates before writing: no key, and the Lua side checks numbers") {
  valkey_fixture fx;
  SUBCASE("malformed policy") {
    auto a = sample_create_args(8);
    a.policy_json = "{not json";
    REQUIRE_FALSE(fx.backend->create_execution(a).has_value());
    CHECK(fx.cmd({"EXISTS", k::exec_core_key(a.execution_id)}).integer == 0);
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

TEST_CASE("the result read serves the result key only for a completed execution") {
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

  // The terminal state written by hand (ff_complete_execution's fields).
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
