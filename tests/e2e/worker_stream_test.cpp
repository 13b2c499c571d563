// Attempt streams end to end: appends under the fence, range reads, the
// long-poll tail, and the stream-op permit bound.

#include <doctest/doctest.h>

#include <future>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;
using namespace std::chrono_literals;

namespace {

std::string frame(const std::string& data) {
  return R"("frames":[{"frame_type":"stdout","data":")" + data + R"("}])";
}

} // namespace

TEST_CASE("tail: a frame appended during the block, a timeout, then the closed marker") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 2);
  auto lease = parse_lease(acquire(client, "w").body);

  auto tail = std::async(std::launch::async, [&] {
    http_client reader("127.0.0.1", node.port());
    auto start = std::chrono::steady_clock::now();
    auto res = reader.get(exec_path(id, "/attempts/0/stream/tail?after=0-0&block_ms=5000"));
    return std::make_pair(res, elapsed_ms(start));
  });
  std::this_thread::sleep_for(300ms);
  auto appended = client.post(exec_path(id, "/attempts/0/stream"), lease.fence(frame("tick")));
  REQUIRE(appended.status == 200);
  auto entry = json_string(parse_json(appended.body)["appended"][0], "id");
  auto [res, took] = tail.get();
  REQUIRE(res.status == 200);
  CHECK(took < 4000);
  auto got = parse_json(res.body);
  REQUIRE(got["frames"].Size() == 1);
  CHECK(got["count"].GetUint() == 1);
  CHECK(json_string(got["frames"][0], "id") == entry);
  CHECK(json_string(got["frames"][0]["fields"], "payload") == "tick");
  CHECK_FALSE(got.HasMember("closed_at"));

  // Nothing new: the block times out with an empty, still-open answer.
  auto start = std::chrono::steady_clock::now();
  auto empty = client.get(exec_path(id, "/attempts/0/stream/tail?after=" + entry + "&block_ms=300"));
  REQUIRE(empty.status == 200);
  CHECK(empty.body == R"({"frames":[],"count":0})");
  CHECK(elapsed_ms(start) >= 250);

  REQUIRE(client.post(exec_path(id, "/complete"), lease.fence()).status == 200);
  auto closed = parse_json(client.get(exec_path(id, "/attempts/0/stream/tail?after=" + entry)).body);
  CHECK(closed["count"].GetUint() == 0);
  REQUIRE(closed.HasMember("closed_at"));
  CHECK(json_string(closed, "closed_reason") == "attempt_success");
}

TEST_CASE("range reads: cursors and limits") {
  redis_server redis;
  node_process node(node_env(redis));
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 4);
  auto lease = parse_lease(acquire(client, "w").body);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto res = client.post(exec_path(id, "/attempts/0/stream"), lease.fence(frame("f" + std::to_string(i))));
    REQUIRE(res.status == 200);
    ids.push_back(json_string(parse_json(res.body)["appended"][0], "id"));
  }
  auto best_effort = client.post(
      exec_path(id, "/attempts/0/stream"),
      lease.fence(R"("frames":[{"frame_type":"metric","data":"1","mode":"best_effort"}])"));
  CHECK(best_effort.status == 200);

  auto page = parse_json(client.get(exec_path(id, "/attempts/0/stream?limit=2")).body);
  REQUIRE(page["frames"].Size() == 2);
  CHECK(json_string(page["frames"][1], "id") == ids[1]);
  auto from = parse_json(client.get(exec_path(id, "/attempts/0/stream?from=" + ids[2] + "&to=" + ids[3])).body);
  REQUIRE(from["frames"].Size() == 2);
  CHECK(json_string(from["frames"][0], "id") == ids[2]);
  CHECK(json_string(from["frames"][1]["fields"], "payload") == "f3");
  auto all = parse_json(client.get(exec_path(id, "/attempts/0/stream?from=start&to=end&limit=1000")).body);
  CHECK(all["count"].GetUint() == 6);
  CHECK(json_string(all["frames"][5]["fields"], "mode") == "best_effort");
  auto tail = parse_json(client.get(exec_path(id, "/attempts/0/stream/tail?after=" + ids[3] + "&limit=1")).body);
  REQUIRE(tail["frames"].Size() == 1);
  CHECK(json_string(tail["frames"][0], "id") == ids[4]);

  // A stream that was never written; an execution that does not exist.
  CHECK(client.get(exec_path(id, "/attempts/7/stream")).body == R"({"frames":[],"count":0})");
  // rest-api.md §3.15/§3.16: a stream never written reads empty, whether or
  // not its execution exists, and its tail times out empty.
  const auto unknown_id = execution_id::mint(4).value;
  auto unknown = client.get(exec_path(unknown_id, "/attempts/0/stream"));
  CHECK(unknown.status == 200);
  CHECK(unknown.body == R"({"frames":[],"count":0})");
  auto unknown_tail = client.get(exec_path(unknown_id, "/attempts/0/stream/tail?block_ms=50"));
  CHECK(unknown_tail.status == 200);
  CHECK(unknown_tail.body == R"({"frames":[],"count":0})");
}

TEST_CASE("the stream-op bound: a second concurrent tail gets 429") {
  redis_server redis;
  auto env = node_env(redis);
  env["FF_MAX_CONCURRENT_STREAM_OPS"] = "1";
  node_process node(env);
  http_client client("127.0.0.1", node.port());

  auto id = create_execution(client, 1);
  auto target = exec_path(id, "/attempts/0/stream/tail?block_ms=2000");
  auto first = std::async(std::launch::async, [&] {
    http_client reader("127.0.0.1", node.port());
    return reader.get(target);
  });
  std::this_thread::sleep_for(300ms);
  auto second = client.get(target);
  auto held = first.get();
  CHECK(held.status == 200);
  CHECK(held.body == R"({"frames":[],"count":0})");
  REQUIRE(second.status == 429);
  auto body = parse_json(second.body);
  CHECK(json_string(body, "kind") == "resource_exhausted");
  CHECK(json_string(body, "error") ==
        "too many concurrent stream_ops calls (server max: 1); retry with backoff");
  CHECK(body["retryable"].GetBool());
  // The permit comes back.
  CHECK(client.get(exec_path(id, "/attempts/0/stream")).status == 200);
}
