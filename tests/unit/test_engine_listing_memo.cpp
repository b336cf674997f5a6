#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/engine/docker_changes.hpp"

using namespace orch::engine;

namespace {

SandboxInfo sandbox(const std::string& id, Labels labels) {
  SandboxInfo s;
  s.id = id;
  s.name = "orch-" + id;
  s.labels = std::move(labels);
  return s;
}

struct Counted {
  ListingMemo<SandboxInfo> memo;
  std::vector<SandboxInfo> engine;
  int fetches = 0;
  std::vector<SandboxInfo> list(const Labels& match, bool keep = true) {
    return memo.get(match, keep, [&] {
      ++fetches;
      return engine;
    });
  }
};

const Labels kSessions{{"orch.kind", "session"}};

}  // namespace

TEST_CASE("a listing is kept until a change concerns it") {
  Counted c;
  c.engine = {sandbox("a1", {{"orch.kind", "session"}})};
  c.list(kSessions);
  c.list(kSessions);
  CHECK(c.fetches == 1);
  c.memo.drop_matching({{"orch.kind", "run"}, {"orch.managed", "1"}});  // a run's container: not a session
  c.list(kSessions);
  CHECK(c.fetches == 1);
  c.engine.push_back(sandbox("b2", {{"orch.kind", "session"}, {"orch.managed", "1"}}));
  c.memo.drop_matching(c.engine.back().labels);  // a new session
  CHECK(c.list(kSessions).size() == 2);
  CHECK(c.fetches == 2);
  c.memo.drop_holding([](const SandboxInfo& s) { return s.id == "a1"; });  // one it holds changed
  c.list(kSessions);
  CHECK(c.fetches == 3);
  c.memo.drop_all();
  c.list(kSessions);
  CHECK(c.fetches == 4);
}

TEST_CASE("without a live event stream every listing asks the engine") {
  Counted c;
  c.list(kSessions, false);
  c.list(kSessions, false);
  CHECK(c.fetches == 2);
}

TEST_CASE("a listing fetched while a change that concerns it arrived is not kept") {
  ListingMemo<SandboxInfo> memo;
  int fetches = 0;
  auto racing = [&] {
    ++fetches;
    memo.drop_matching({{"orch.kind", "session"}});  // arrives while the engine answers
    return std::vector<SandboxInfo>{};
  };
  memo.get(kSessions, true, racing);
  memo.get(kSessions, true, racing);
  CHECK(fetches == 2);
  auto unrelated = [&] {
    ++fetches;
    memo.drop_matching({{"orch.kind", "run"}});
    return std::vector<SandboxInfo>{};
  };
  memo.get(kSessions, true, unrelated);
  memo.get(kSessions, true, unrelated);
  CHECK(fetches == 3);
}
