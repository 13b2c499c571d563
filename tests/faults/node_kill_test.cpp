// The node killed with SIGKILL in the middle of a run, three times, a new
// node started on the same store and port after each kill. A client keeps
// creating work and workers keep running it throughout, retrying what the
// kills interrupt the way real clients would. Afterwards every create that
// was acknowledged has completed, and exactly once.

#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "tests/e2e/fixture.hpp"

using namespace ff;
using namespace ff::test;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t total = 300;
constexpr std::uint16_t partitions = 8;

// What the clients were told, shared by their threads.
struct ledger {
  std::mutex mutex;
  std::set<std::string> acknowledged;           // creates answered 201 or 200 Duplicate
  std::map<std::string, int> completes_ok;      // completes answered 200, per execution
  std::vector<std::string> unexpected;          // answers no rule allows
  std::atomic<std::size_t> acked{0}, completed{0};
  std::atomic<std::size_t> transport_errors{0}, lost_leases{0};

  void note_unexpected(const std::string& what) {
    std::lock_guard<std::mutex> guard(mutex);
    unexpected.push_back(what);
  }
};

// Sends a request until the node answers it with something other than
// "try again" (429, 5xx): a kill shows up as a transport error, and a
// client that cannot tell whether its request got through sends it again.
// Empty when told to stop first.
std::optional<http_response> until_answered(const std::function<http_response()>& send, ledger& book,
                                            const std::atomic<bool>& stop) {
  while (!stop) {
    try {
      auto res = send();
      if (res.status != 429 && res.status < 500) return res;
    } catch (const std::exception&) {
      ++book.transport_errors;
    }
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

// Creates `total` executions with client-minted ids and an idempotency key
// each; a create interrupted by a kill is sent again, same id and key, until
// the node acknowledges it.
void create_all(std::uint16_t port, ledger& book, const std::atomic<bool>& stop) {
  http_client client("127.0.0.1", port);
  for (std::size_t i = 0; i < total && !stop; ++i) {
    auto p = static_cast<std::uint16_t>(i % partitions);
    auto id = execution_id::mint(p).value;
    auto body = create_body(id, p, R"("idempotency_key":"create-)" + std::to_string(i) + "\"");
    auto res = until_answered([&] { return client.post("/v1/executions", body); }, book, stop);
    if (!res) return;
    auto doc = parse_json(res->body);
    const char* outcome = res->status == 201 ? "Created" : "Duplicate";
    if ((res->status != 201 && res->status != 200) || !doc.IsObject() || !doc.HasMember(outcome) ||
        json_string(doc[outcome], "execution_id") != id) {
      book.note_unexpected("create " + id + ": " + std::to_string(res->status) + " " + res->body);
      continue;
    }
    std::lock_guard<std::mutex> guard(book.mutex);
    book.acknowledged.insert(id);
    ++book.acked;
  }
}

// Acquires and completes until told to stop. A complete interrupted by a
// kill is sent again under the same fence until it is answered: 200 (the
// first or a replayed outcome) or 409 (the lease ran out meanwhile and the
// execution went back to the lane for someone else).
void work(std::uint16_t port, const std::string& name, ledger& book, const std::atomic<bool>& stop) {
  http_client client("127.0.0.1", port);
  while (!stop) {
    auto res = until_answered(
        [&] { return acquire(client, name, R"("lease_ttl_ms":1000,"wait_ms":300)"); }, book, stop);
    if (!res || res->status == 204) continue;
    if (res->status != 200) {
      book.note_unexpected("acquire: " + std::to_string(res->status) + " " + res->body);
      std::this_thread::sleep_for(20ms);
      continue;
    }
    auto lease = parse_lease(res->body);
    auto body = lease.fence(R"("result":")" + name + R"(","result_encoding":"utf8")");
    auto done = until_answered(
        [&] { return client.post(exec_path(lease.execution_id, "/complete"), body); }, book, stop);
    if (!done) return;
    if (done->status == 200) {
      std::lock_guard<std::mutex> guard(book.mutex);
      if (++book.completes_ok[lease.execution_id] == 1) ++book.completed;
    } else if (done->status == 409) {
      ++book.lost_leases;
    } else {
      book.note_unexpected("complete " + lease.execution_id + ": " + std::to_string(done->status) +
                           " " + done->body);
    }
  }
}

} // namespace

TEST_CASE("kill -9 of the node during a run: every acknowledged create completes exactly once") {
  redis_server redis;
  // Every write on disk before redis answers, as a production store would.
  REQUIRE(redis.command({"CONFIG", "SET", "appendfsync", "always"}) == "+OK");
  auto env = node_env(redis, partitions);
  auto port = free_loopback_port();
  env["FF_LISTEN_ADDR"] = "127.0.0.1:" + std::to_string(port);
  // Leases lost with a kill (an acquire answered into a dead connection)
  // expire quickly and go back to the lane.
  env["FF_LEASE_EXPIRY_INTERVAL_MS"] = "100";
  std::optional<node_process> node(std::in_place, env);

  ledger book;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  clients.emplace_back(create_all, port, std::ref(book), std::cref(stop));
  for (int w = 0; w < 4; ++w)
    clients.emplace_back(work, port, "worker-" + std::to_string(w), std::ref(book), std::cref(stop));
  struct joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~joiner() {
      stop = true;
      for (auto& t : threads) t.join();
    }
  } join_on_exit{stop, clients};

  // Kill at points of progress, not of time, so every kill lands mid-run.
  std::string kills; // "acknowledged/completed" at each kill, for the log
  for (std::size_t at : {total / 5, total / 2, total * 4 / 5}) {
    CAPTURE(at);
    REQUIRE_MESSAGE(eventually([&] { return book.acked >= at; }, 30s), "creates stalled at " << book.acked.load());
    node->crash();
    kills += " " + std::to_string(book.acked) + "/" + std::to_string(book.completed);
    node.reset();
    node.emplace(env);
  }
  bool all_done = eventually([&] { return book.acked == total && book.completed == total; }, 30s);
  stop = true;
  for (auto& t : clients) t.join();
  clients.clear();
  MESSAGE("killed at acknowledged/completed" << kills << "; transport errors: " << book.transport_errors.load()
                    << ", complete refused after a lost lease: " << book.lost_leases.load());
  CHECK_MESSAGE(all_done, "acknowledged " << book.acked.load() << ", completed " << book.completed.load());

  for (const auto& what : book.unexpected) FAIL_CHECK(what);
  CHECK(book.acknowledged.size() == total);
  http_client client("127.0.0.1", port);
  std::size_t not_completed = 0, not_once = 0;
  for (const auto& id : book.acknowledged) {
    auto state = state_of(client, id);
    if (state != "completed") {
      ++not_completed;
      FAIL_CHECK(id << " is " << state);
    }
    auto it = book.completes_ok.find(id);
    int oks = it == book.completes_ok.end() ? 0 : it->second;
    if (oks != 1) {
      ++not_once;
      FAIL_CHECK(id << " completed with 200 " << oks << " times");
    }
  }
  CHECK(not_completed == 0);
  CHECK(not_once == 0);
  // Retried creates reused their id and key: nothing was created twice.
  CHECK(count_all(client, partitions) == total);
}
