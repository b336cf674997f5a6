#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "server/auth.hpp"
#include "server/budget.hpp"
#include "server/limiter.hpp"

using namespace orch;
using namespace orch::server;
using namespace std::chrono_literals;

TEST_CASE("OutputBudget: leases fit the budget, the first waiter is served first, a big one runs alone") {
  OutputBudget b(100);
  auto a = b.acquire(60, 0ms, {});
  REQUIRE(a);
  CHECK(b.in_use() == 60);
  CHECK(!b.acquire(50, 50ms, {}));  // does not fit, and the wait ran out
  std::atomic<int> order{0};
  int big_at = 0, small_at = 0;
  std::thread big([&] {
    auto l = b.acquire(1000, 5s, {});  // more than the whole budget: waits for all of it
    big_at = ++order;
    CHECK(l->bytes() == 100);
    std::this_thread::sleep_for(50ms);
  });
  std::this_thread::sleep_for(100ms);
  std::thread small([&] {
    auto l = b.acquire(10, 5s, {});  // would fit now, but the big one asked first
    small_at = ++order;
  });
  std::this_thread::sleep_for(100ms);
  CHECK(order == 0);
  a.reset();  // the first lease ends
  big.join();
  small.join();
  CHECK(big_at == 1);
  CHECK(small_at == 2);
  CHECK(b.in_use() == 0);
}

TEST_CASE("OutputBudget: a waiter that gives up does not block the ones behind it") {
  OutputBudget b(10);
  auto held = b.acquire(10, 0ms, {});
  std::atomic<bool> stop{false};
  std::thread quitter([&] { CHECK(!b.acquire(5, 5s, [&] { return stop.load(); })); });
  std::this_thread::sleep_for(50ms);
  std::atomic<bool> later{false};
  std::thread next([&] { later = b.acquire(5, 5s, {}).has_value(); });
  std::this_thread::sleep_for(50ms);
  stop = true;
  quitter.join();
  held.reset();
  next.join();
  CHECK(later);
}

TEST_CASE("OutputBudget: a tenant holds at most its share, queued requests included, and holds up no other") {
  OutputBudget b(100);
  auto a1 = b.acquire(1000, 0ms, {}, "a", 50);  // more than the share: the share
  REQUIRE(a1);
  CHECK(a1->bytes() == 50);
  std::atomic<bool> a2_got{false};
  std::thread a2([&] { a2_got = b.acquire(10, 5s, {}, "a", 50).has_value(); });  // waits on a's own share
  std::this_thread::sleep_for(100ms);
  auto b1 = b.acquire(50, 0ms, {}, "b", 50);  // not behind a's waiting request
  CHECK(b1);
  CHECK(!b.acquire(1, 0ms, {}, "b", 50));  // b at its share too
  CHECK(!a2_got);
  a1.reset();
  a2.join();
  CHECK(a2_got);
  b1.reset();
  CHECK(b.in_use() == 0);
  CHECK(b.acquire(50, 0ms, {}, "a", 50));  // nothing left over from the given-up and ended ones
}

TEST_CASE("SessionGate: concurrent creates never pass the cap, and far from it they do not wait") {
  SessionGate gate;
  std::atomic<int> live{0}, admitted{0}, refused{0};
  std::vector<std::thread> ts;
  ts.reserve(6);
  for (int i = 0; i < 6; ++i) {
    ts.emplace_back([&] {
      try {
        auto pass = gate.enter("t", 2, [&] { return live.load(); });
        ++admitted;
        std::this_thread::sleep_for(20ms);
        ++live;  // the engine lists the session while it is still being created
        std::this_thread::sleep_for(100ms);
      } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Busy);
        ++refused;
      }
    });
  }
  for (auto& t : ts) t.join();
  CHECK(admitted == 2);
  CHECK(refused == 4);
  // Far from the cap, listed-and-pending creates are admitted without waiting.
  std::atomic<int> listed{0};
  std::vector<SessionGate::Pass> passes;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    passes.push_back(gate.enter("u", 16, [&] { return listed.load(); }));
    ++listed;
  }
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
}

TEST_CASE("TokenStore: per-tenant caps and github_token, and clear errors naming the line") {
  char path[] = "/tmp/orch-tokens-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  write(
      "# comment\naaaaaaaaaaaaaaaa alice max_pids=64 max_cpus=1.5 github_token=ghp_abc max_sessions=2\n"
      "bbbbbbbbbbbbbbbb bob\n");
  TokenStore store(path);
  store.load();
  auto alice = store.authenticate("aaaaaaaaaaaaaaaa");
  REQUIRE(alice);
  CHECK(alice->limits.max_pids == 64);
  CHECK(alice->limits.max_cpus == 1.5);
  CHECK(alice->limits.max_sessions == 2);
  CHECK(alice->github_token == "ghp_abc");
  auto bob = store.authenticate("bbbbbbbbbbbbbbbb");
  REQUIRE(bob);
  CHECK(bob->github_token.empty());
  CHECK(bob->limits.max_pids == 0);
  for (const char* bad : {"max_pids=100001", "max_pids=abc", "max_pids=8x", "max_cpus=0", "max_sessions=-1", "max_pids=1.5", "frobs=1"}) {
    CAPTURE(bad);
    write(std::string("aaaaaaaaaaaaaaaa alice ") + bad + "\n");
    try {
      store.load();
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::BadInput);
      CHECK(std::string(e.what()).find(std::string(path) + ":1: ") == 0);
    }
  }
  CHECK(store.authenticate("aaaaaaaaaaaaaaaa"));  // a failed reload keeps the tokens it had
  std::remove(path);
}
