// POST /v1/executions/batch through a real node on a real redis-server:
// per-item outcomes, per-item idempotency, and bad input that stores nothing.

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;

namespace {

std::string batch_of(const std::vector<std::string>& bodies) {
  std::string out = R"({"executions":[)";
  for (std::size_t i = 0; i < bodies.size(); ++i) out += (i ? "," : "") + bodies[i];
  return out + "]}";
}

// A create body whose id the server mints (no execution_id, no partition).
std::string minted_body(const std::string& overrides = {}) {
  return create_body("", 0, overrides);
}

} // namespace

TEST_CASE("a batch creates every item, answers each in order, and workers get them") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  const std::string explicit_id = execution_id::mint(5).value;
  // A payload with bytes that are not UTF-8 comes back byte for byte.
  std::vector<std::string> bodies = {
      minted_body(R"("input_payload":[0,255,128,10])"),
      create_body(explicit_id, 5),
      minted_body(R"("idempotency_key":"order-1")"),
      minted_body(R"("delay_until":9999999999999)"),
  };
  auto res = client.post("/v1/executions/batch", batch_of(bodies));
  REQUIRE_MESSAGE(res.status == 200, res.body);
  auto doc = parse_json(res.body);
  auto& results = doc["results"];
  REQUIRE(results.Size() == 4);
  std::vector<std::string> ids;
  for (auto& r : results.GetArray()) {
    CHECK(r["status"].GetUint() == 201);
    ids.push_back(r["Created"]["execution_id"].GetString());
  }
  CHECK(ids[1] == explicit_id);
  CHECK(std::string(results[0]["Created"]["public_state"].GetString()) == "waiting");
  CHECK(std::string(results[3]["Created"]["public_state"].GetString()) == "delayed");
  // Minted ids without an idempotency key share one partition.
  CHECK(execution_id::parse(ids[0])->partition == execution_id::parse(ids[3])->partition);
  for (const auto& id : ids) CHECK(client.get(exec_path(id)).status == 200);

  // The three waiting ones are handed out; the delayed one is not.
  std::set<std::string> acquired;
  for (int i = 0; i < 3; ++i) {
    auto a = acquire(client, "w", R"("wait_ms":2000)");
    REQUIRE_MESSAGE(a.status == 200, a.body);
    auto doc_a = parse_json(a.body);
    acquired.insert(json_string(doc_a, "execution_id"));
    if (json_string(doc_a, "execution_id") == ids[0]) {
      std::vector<unsigned> bytes;
      for (auto& b : doc_a["input_payload"].GetArray()) bytes.push_back(b.GetUint());
      CHECK(bytes == std::vector<unsigned>{0, 255, 128, 10});
    }
  }
  CHECK(acquired == std::set<std::string>{ids[0], ids[1], ids[2]});
  CHECK(acquire(client, "w").status == 204);
}

TEST_CASE("a retried batch answers Duplicate for every item it already created") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  const std::string id = execution_id::mint(2).value;
  std::vector<std::string> bodies = {
      create_body(id, 2),
      minted_body(R"("idempotency_key":"k-1")"),
      minted_body(R"("idempotency_key":"k-2")"),
  };
  auto first = client.post("/v1/executions/batch", batch_of(bodies));
  REQUIRE(first.status == 200);
  auto again = client.post("/v1/executions/batch", batch_of(bodies));
  REQUIRE(again.status == 200);
  auto a = parse_json(first.body), b = parse_json(again.body);
  for (rapidjson::SizeType i = 0; i < 3; ++i) {
    CHECK(b["results"][i]["status"].GetUint() == 200);
    CHECK(std::string(b["results"][i]["Duplicate"]["execution_id"].GetString()) ==
          a["results"][i]["Created"]["execution_id"].GetString());
  }
  CHECK(count_all(client, 8) == 3);

  // The same key twice in one batch: the second item is the first's duplicate.
  auto twice = client.post("/v1/executions/batch",
                           batch_of({minted_body(R"("idempotency_key":"k-3")"),
                                     minted_body(R"("idempotency_key":"k-3")")}));
  REQUIRE(twice.status == 200);
  auto t = parse_json(twice.body);
  CHECK(t["results"][0]["status"].GetUint() == 201);
  CHECK(t["results"][1]["status"].GetUint() == 200);
  CHECK(std::string(t["results"][1]["Duplicate"]["execution_id"].GetString()) ==
        t["results"][0]["Created"]["execution_id"].GetString());
  CHECK(count_all(client, 8) == 4);
}

TEST_CASE("a bad batch is refused whole with the item's error and its index") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto missing = client.post("/v1/executions/batch", R"({"items":[]})");
  CHECK(missing.status == 422);
  auto empty = client.post("/v1/executions/batch", R"({"executions":[]})");
  CHECK(empty.status == 400);
  CHECK(parse_json(empty.body)["error"].GetString() ==
        std::string("executions: expected 1 to 1000 items, got 0"));

  std::vector<std::string> too_many(1001, minted_body());
  auto over = client.post("/v1/executions/batch", batch_of(too_many));
  CHECK(over.status == 400);

  // Item 1 lacks its lane: the single-create error, with index 1.
  auto bad_item = client.post(
      "/v1/executions/batch",
      batch_of({minted_body(), R"({"namespace":"tests","execution_kind":"echo","input_payload":[]})"}));
  CHECK(bad_item.status == 422);
  auto e = parse_json(bad_item.body);
  CHECK(e["index"].GetUint() == 1);
  CHECK(e.HasMember("error"));
  auto single = client.post("/v1/executions",
                            R"({"namespace":"tests","execution_kind":"echo","input_payload":[]})");
  CHECK(single.status == 422);
  CHECK(std::string(e["error"].GetString()) == parse_json(single.body)["error"].GetString());

  auto not_object = client.post("/v1/executions/batch", R"({"executions":[7]})");
  CHECK(not_object.status == 422);
  CHECK(parse_json(not_object.body)["index"].GetUint() == 0);

  CHECK(count_all(client, 8) == 0);
}
