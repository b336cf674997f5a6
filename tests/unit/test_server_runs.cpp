#include <doctest/doctest.h>

#include <thread>

#include "server/metrics.hpp"
#include "server/policy.hpp"
#include "server/runs.hpp"

using namespace orch;
using namespace orch::server;

TEST_CASE("run records: output kept up to the cap, result, and another tenant sees nothing") {
  RunRegistry reg(size_t{16} << 20);
  auto r = reg.add("r-1", "alice", "tool", {{"session_id", "s1"}});
  r->append(false, "hello ");
  r->append(true, "warn");
  r->append(false, std::string(RunRecord::kLogCap, 'x'));
  auto logs = r->logs_json();
  CHECK(logs["state"] == "running");
  CHECK(logs["stderr"] == "warn");
  CHECK(logs["truncated"] == true);
  CHECK(logs["stdout"].get<std::string>().size() + 4 == RunRecord::kLogCap);
  CHECK(reg.get("r-1", "alice") == r);
  CHECK_THROWS_AS(reg.get("r-1", "bob"), Error);
  CHECK(reg.find("alice", "session_id", "s1").size() == 1);
  CHECK(reg.find("bob", "session_id", "s1").empty());
  auto res = std::make_shared<sandbox::RunResult>();
  res->run_id = "r-1";
  res->status = sandbox::RunStatus::Ok;
  r->finish(res);
  CHECK(r->result() == res);  // held once, shared with the answer
  CHECK(r->to_json()["state"] == "done");
  CHECK(r->to_json()["result"]["status"] == "ok");
  CHECK(r->to_json()["session_id"] == "s1");
}

TEST_CASE("run records: a follower wakes for new output and for the end") {
  RunRegistry reg(size_t{16} << 20);
  auto r = reg.add("r-2", "t", "run");
  std::thread writer([r] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    r->append(false, "a");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    r->fail(ErrorKind::Infrastructure, "gone");
  });
  bool ended = false;
  auto first = r->wait_output(0, std::chrono::seconds(5), ended);
  REQUIRE(first.size() == 1);
  CHECK(first[0].data == "a");
  while (!ended) r->wait_output(1, std::chrono::seconds(5), ended);
  writer.join();
  CHECK(r->to_json()["error"]["code"] == "infrastructure");
}

TEST_CASE("run registry: forgets the oldest finished runs, never a running one") {
  RunRegistry reg(size_t{16} << 20);
  auto running = reg.add("r-run", "t", "run");
  for (size_t i = 0; i < RunRegistry::kKeep + 10; ++i) reg.add("r-" + std::to_string(i), "t", "run")->fail(ErrorKind::Timeout, "x");
  CHECK(reg.get("r-run", "t") == running);
  CHECK_NOTHROW(reg.get("r-" + std::to_string(RunRegistry::kKeep + 9), "t"));
}

TEST_CASE("run registry: one tenant's runs cannot push out another's") {
  RunRegistry reg(size_t{16} << 20);
  reg.add("a-1", "alice", "run")->fail(ErrorKind::Timeout, "x");
  for (size_t i = 0; i < RunRegistry::kKeep + 10; ++i) reg.add("b-" + std::to_string(i), "bob", "run")->fail(ErrorKind::Timeout, "x");
  CHECK_NOTHROW(reg.get("a-1", "alice"));
  CHECK_THROWS_AS(reg.get("b-0", "bob"), Error);
  // By bytes too: bob's big outputs go, alice's small one stays.
  auto big = [&](const std::string& id, const std::string& tenant, size_t bytes) {
    auto r = reg.add(id, tenant, "run");
    auto res = std::make_shared<sandbox::RunResult>();
    res->stdout_data.assign(bytes, 'x');
    r->finish(res);
  };
  big("a-2", "alice", 1000);
  for (int i = 0; i < 12; ++i) big("bb-" + std::to_string(i), "bob", size_t{2} << 20);
  CHECK_NOTHROW(reg.get("a-2", "alice"));
  CHECK_NOTHROW(reg.get("a-1", "alice"));
  CHECK_THROWS_AS(reg.get("bb-0", "bob"), Error);
}

TEST_CASE("recent runs: the last 50 of each tenant") {
  Metrics m;
  m.record_run({"a-1", "alice", "python", "ok"});
  for (int i = 0; i < 60; ++i) m.record_run({"b-" + std::to_string(i), "bob", "python", "ok"});
  auto alice = m.recent_runs(std::string("alice"));
  REQUIRE(alice.size() == 1);
  CHECK(alice[0]["run_id"] == "a-1");
  auto bob = m.recent_runs(std::string("bob"));
  CHECK(bob.size() == 50);
  CHECK(bob[0]["run_id"] == "b-59");  // newest first
  CHECK(bob[49]["run_id"] == "b-10");
}

TEST_CASE("image allowlist: shell patterns; nothing without one") {
  CHECK_FALSE(image_allowed({}, "alpine"));
  CHECK(image_allowed({"cortex/*"}, "cortex/tool-pdf-extractor:latest"));
  CHECK_FALSE(image_allowed({"cortex/*"}, "evil/cortex/x"));
  CHECK(image_allowed({"redis:7*", "postgres:16"}, "redis:7.2"));
  CHECK_FALSE(image_allowed({"redis:7*", "postgres:16"}, "postgres:16-alpine"));
}

TEST_CASE("run records: finished runs past the byte bound are forgotten oldest first; running ones stay") {
  RunRegistry reg(size_t{16} << 20);
  auto running = reg.add("r-0", "alice", "run");
  running->append(false, "still going");
  const size_t kBig = reg.keep_bytes() / 2 + 1;  // two of these are over the bound
  auto finish_big = [&](const std::string& id) {
    auto r = reg.add(id, "alice", "run");
    auto res = std::make_shared<sandbox::RunResult>();
    res->run_id = id;
    res->stdout_data.assign(kBig, 'x');
    r->finish(res);
  };
  finish_big("r-1");
  finish_big("r-2");
  reg.add("r-3", "alice", "run");  // eviction happens as runs are added
  CHECK_THROWS_AS(reg.get("r-1", "alice"), Error);
  CHECK(reg.get("r-2", "alice")->held_bytes() == kBig);
  CHECK(reg.get("r-0", "alice")->running());
}

TEST_CASE("run records: those answered in place are kept only within the output budget's room; the others stay") {
  size_t room = size_t{8} << 20;
  RunRegistry reg(size_t{16} << 20, [&room] { return room; });
  auto finish = [&](const std::string& id, bool in_place) {
    auto r = reg.add(id, "alice", "run");
    if (in_place) r->answered_in_place();
    r->append(false, std::string(size_t{1} << 20, 'x'));
    auto res = std::make_shared<sandbox::RunResult>();
    res->stdout_data.assign(size_t{1} << 20, 'x');
    r->finish(res);
  };
  finish("r-async", false);  // fetched later by id: only the byte bound and the count forget it
  for (int i = 0; i < 3; ++i) finish("r-" + std::to_string(i), true);
  reg.add("r-next", "alice", "run");
  CHECK_NOTHROW(reg.get("r-0", "alice"));  // 6 MiB answered in place fit 8 MiB of room
  room = size_t{3} << 20;                  // runs in flight took the rest of the budget
  reg.add("r-later", "alice", "run");
  CHECK_THROWS_AS(reg.get("r-0", "alice"), Error);
  CHECK_THROWS_AS(reg.get("r-1", "alice"), Error);
  CHECK_NOTHROW(reg.get("r-2", "alice"));
  CHECK_NOTHROW(reg.get("r-async", "alice"));
  room = 0;
  reg.add("r-last", "alice", "run");
  CHECK_THROWS_AS(reg.get("r-2", "alice"), Error);
  CHECK(reg.get("r-async", "alice")->held_bytes() == size_t{2} << 20);
}
