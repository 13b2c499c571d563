// A smoke run of ff-bench: every scenario at tiny sizes against a spawned
// redis-server and ff-node. It checks that the run completes, the reports
// exist and their counts are right; it never looks at timing (benchmarks
// are not tests).

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

namespace {

namespace fs = std::filesystem;

// All binaries of the build land in one folder, so ff-bench sits next to
// this test executable.
fs::path bench_binary() { return fs::read_symlink("/proc/self/exe").parent_path() / "ff-bench"; }

fs::path make_temp_dir(const char* name) {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/" + name + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  REQUIRE(mkdtemp(buf.data()) != nullptr);
  return buf.data();
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct run_outcome {
  int exit_code = -1;  // -1: killed at the time limit or by a signal
  std::string output;
};

// Runs ff-bench with `args`, TMPDIR set to `tmp`, output into a log file;
// killed after `limit`.
run_outcome run_bench(const std::vector<std::string>& args, const fs::path& tmp,
                      std::chrono::seconds limit) {
  fs::path log = tmp.parent_path() / (tmp.filename().string() + ".log");
  std::vector<std::string> argv_s{bench_binary().string()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string tmpdir = tmp.string();

  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    setenv("TMPDIR", tmpdir.c_str(), 1);
    execv(argv[0], argv.data());
    _exit(127);
  }
  run_outcome out;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);  // its redis-server and ff-node die with it
      waitpid(pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  out.output = read_file(log);
  fs::remove(log);
  return out;
}

rapidjson::Document load_report(const fs::path& path) {
  rapidjson::Document doc;
  auto text = read_file(path);
  doc.Parse(text.c_str(), text.size());
  return doc;
}

// Checks every measured run of a report: ok, and `completed` == `expected`
// == `want`; returns how many measured runs there were.
int check_runs(const rapidjson::Document& doc, std::int64_t want) {
  int measured = 0;
  for (const auto& run : doc["runs"].GetArray()) {
    if (run["warmup"].GetBool()) continue;
    ++measured;
    CHECK(run["ok"].GetBool());
    CHECK(run["expected"].GetInt64() == want);
    CHECK(run["completed"].GetInt64() == want);
  }
  return measured;
}

} // namespace

TEST_CASE("ff-bench --spawn runs every scenario to completion with the right counts") {
  REQUIRE_MESSAGE(fs::exists(bench_binary()), "ff-bench is not built next to the tests");
  fs::path out_dir = make_temp_dir("ff-bench-smoke-out");
  fs::path tmp = make_temp_dir("ff-bench-smoke-tmp");

  auto run = run_bench({"--spawn", "--scenario", "all", "--runs", "1", "--warmup", "0",
                        "--calm-ms", "0", "--tasks", "50", "--workers", "4", "--wait-ms", "200",
                        "--dispatch-samples", "20", "--s2-roundtrips", "3",
                        "--baseline-tasks", "200",
                        "--time-limit-s", "60", "--git-sha", "smoke", "--out", out_dir.string()},
                       tmp, std::chrono::seconds(240));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);

  auto baseline = load_report(out_dir / "baseline-hiredis-baseline-smoke.json");
  auto s1 = load_report(out_dir / "submit_claim_complete-ff-node-smoke.json");
  auto dispatch = load_report(out_dir / "dispatch_latency-ff-node-smoke.json");
  auto s2 = load_report(out_dir / "suspend_signal_resume-ff-node-smoke.json");
  for (auto* doc : {&baseline, &s1, &dispatch, &s2}) {
    REQUIRE(doc->IsObject());
    CHECK((*doc)["ok"].GetBool());
    CHECK(std::string((*doc)["git_sha"].GetString()) == "smoke");
  }

  // One measured run of each system, each with a baseline before and after.
  CHECK(check_runs(s1, 50) == 1);
  CHECK(check_runs(dispatch, 20) == 1);
  CHECK(check_runs(s2, 3) == 1);
  CHECK(check_runs(baseline, 200) == 6);
  CHECK(s1["runs"][0]["latency_ms"]["samples"].GetInt64() == 50);
  CHECK(dispatch["runs"][0]["latency_ms"]["samples"].GetInt64() == 20);
  // Every round trip went through each step once and came back resumed.
  const auto& s2_run = s2["runs"][0];
  CHECK(s2_run["latency_ms"]["samples"].GetInt64() == 3);
  CHECK(s2_run["reclaim_acquires"].GetDouble() >= 3);
  for (const char* step : {"suspend_p50_ms", "pending_read_p50_ms", "signal_p50_ms",
                           "reclaim_p50_ms", "complete_p50_ms"})
    CHECK_MESSAGE(s2_run[step].GetDouble() > 0, step);
  CHECK(s2["ratio_to_baseline"].IsNumber());
  for (const auto& run : baseline["runs"].GetArray()) CHECK(run["blmpop_ok"].GetDouble() == 200);
  CHECK(s1["baseline"]["measured_runs"].GetInt() == 2);
  CHECK(s1["ratio_to_baseline"].IsNumber());
  CHECK(dispatch["ratio_to_baseline"].IsNumber());

  // --spawn removed its temporary folder (redis-server and ff-node data).
  CHECK(fs::is_empty(tmp));
  fs::remove_all(out_dir);
  fs::remove_all(tmp);
}

TEST_CASE("ff-bench rss reads the spawned node's memory, and refuses to run without --spawn") {
  REQUIRE_MESSAGE(fs::exists(bench_binary()), "ff-bench is not built next to the tests");
  fs::path out_dir = make_temp_dir("ff-bench-smoke-out");
  fs::path tmp = make_temp_dir("ff-bench-smoke-tmp");

  // Exits before contacting anything: nothing listens on port 1.
  auto refused = run_bench({"--scenario", "rss", "--target", "http://127.0.0.1:1", "--out",
                            out_dir.string()},
                           tmp, std::chrono::seconds(30));
  INFO(refused.output);
  CHECK(refused.exit_code == 2);
  CHECK(refused.output.find("needs --spawn") != std::string::npos);

  // --runs and --warmup do not apply: one measured run, no baseline.
  auto run = run_bench({"--spawn", "--scenario", "rss", "--runs", "3", "--calm-ms", "0",
                        "--rss-pending", "50", "--rss-settle-ms", "0", "--time-limit-s", "60",
                        "--git-sha", "smoke", "--out", out_dir.string()},
                       tmp, std::chrono::seconds(120));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_FALSE(fs::exists(out_dir / "baseline-hiredis-baseline-smoke.json"));
  auto rss = load_report(out_dir / "pending_rss-ff-node-smoke.json");
  REQUIRE(rss.IsObject());
  CHECK(rss["ok"].GetBool());
  CHECK(rss["runs"].Size() == 1);
  CHECK(check_runs(rss, 50) == 1);
  CHECK(rss["ratio_to_baseline"].IsNull());
  CHECK(std::string(rss["headline"].GetString()) == "rss_mb.rss_mb_after");
  for (const char* f : {"rss_mb_idle", "rss_mb_after", "hwm_mb"}) {
    REQUIRE_MESSAGE(rss["rss_mb"][f].IsNumber(), f);
    CHECK_MESSAGE(rss["rss_mb"][f].GetDouble() > 0, f);
    CHECK_MESSAGE(rss["runs"][0][f].GetDouble() > 0, f);
  }
  CHECK(rss["rss_mb"]["pending_executions"].GetDouble() == 50);

  CHECK(fs::is_empty(tmp));
  fs::remove_all(out_dir);
  fs::remove_all(tmp);
}
