// A connection flood against a real ff-node whose descriptor limit is far
// below the number of connections held open: the node keeps accepting,
// never runs out of descriptors, and still answers /healthz.

#include <doctest/doctest.h>

#include <sys/resource.h>

#include <vector>

#include "tests/e2e/fixture.hpp"
#include "tests/support/raw_connection.hpp"

using namespace ff::test;

namespace {

constexpr std::uint64_t node_descriptors = 256;
constexpr std::size_t flood = 400; // idle connections, well over node_descriptors

std::size_t count_lines(const std::string& log, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = log.find(needle); pos != std::string::npos; pos = log.find(needle, pos + 1)) ++n;
  return n;
}

// This process holds the flood's client ends: make room for them.
bool raise_own_descriptor_limit(rlim_t wanted) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  if (lim.rlim_cur >= wanted) return true;
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < wanted) return false;
  lim.rlim_cur = wanted;
  return setrlimit(RLIMIT_NOFILE, &lim) == 0;
}

} // namespace

TEST_CASE("connection flood: more idle connections than descriptors, /healthz still answers") {
  if (!raise_own_descriptor_limit(flood + 256)) {
    MESSAGE("skipped: this process cannot open " << flood + 256 << " descriptors");
    return;
  }
  redis_server redis;
  node_process node(node_env(redis), {}, node_descriptors);

  std::vector<raw_connection> idle;
  idle.reserve(flood);
  for (std::size_t i = 0; i < flood; ++i) idle.emplace_back(node.port());

  // Connections are accepted in order, so by the time this one is served
  // every idle one has been accepted (and most of them closed again).
  raw_connection probe(node.port());
  REQUIRE(probe.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto health = probe.read_response();
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == R"({"status":"ok"})");

  // The node made room by closing idle connections rather than running out
  // of descriptors: most of the flood is closed, and it never failed to
  // accept. Closes are seen asynchronously, hence the wait for the count.
  const std::size_t closed_at_least = flood - node_descriptors;
  std::size_t closed = 0;
  CHECK(eventually([&] {
    closed = 0;
    for (auto& c : idle) closed += c.peer_closed() ? 1 : 0;
    return closed >= closed_at_least;
  }));
  CAPTURE(closed);
  auto log = node.log();
  CAPTURE(log);
  CHECK(count_lines(log, "accept failed") == 0);

  // Once the flood is gone, ordinary clients are served as before.
  idle.clear();
  http_client client("127.0.0.1", node.port());
  for (int i = 0; i < 20; ++i) CHECK(client.get("/healthz").status == 200);
  CHECK(node.stop() == 0);
}
