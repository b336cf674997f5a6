#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/pricing/history.hpp"
#include "core/pricing/watch.hpp"
#include "fake_daemon.hpp"

using namespace orch::pricing;

namespace {

Match match(const std::string& type, double price) {
  Match m;
  m.offer.provider = "lambda";
  m.offer.instance_type = type;
  m.offer.region = "us-east-1";
  m.offer.gpu_model = "H100";
  m.offer.gpu_count = 1;
  m.offer.on_demand = price;
  m.price = price;
  m.price_per_gpu = price;
  return m;
}

}  // namespace

TEST_CASE("detect_crossings fires once per drop below the threshold") {
  nlohmann::json state = nlohmann::json::object();
  auto first = detect_crossings({match("a", 2.49), match("b", 2.60)}, 2.50, state);
  REQUIRE(first.size() == 1);
  CHECK(first[0].offer.instance_type == "a");
  CHECK(detect_crossings({match("a", 2.40), match("b", 2.60)}, 2.50, state).empty());  // still below
  CHECK(detect_crossings({match("a", 2.50), match("b", 2.60)}, 2.50, state).empty());  // back up (not below)
  auto again = detect_crossings({match("a", 2.30), match("b", 2.45)}, 2.50, state);
  CHECK(again.size() == 2);
  CHECK(state["below"].size() == 2);
  // The state survives a round trip through JSON, as it does between `--once` runs.
  auto reloaded = nlohmann::json::parse(state.dump());
  CHECK(detect_crossings({match("a", 2.30), match("b", 2.45)}, 2.50, reloaded).empty());
  // An offer listed twice (two sources) is one crossing.
  nlohmann::json fresh;
  CHECK(detect_crossings({match("c", 1.0), match("c", 1.0)}, 2.0, fresh).size() == 1);
}

TEST_CASE("WatchSpec state names differ by threshold and filter") {
  WatchSpec a{Filter{}, 2.5}, b{Filter{}, 2.4}, c{Filter{}, 2.5};
  c.filter.gpu = "H100";
  CHECK(a.state_name() != b.state_name());
  CHECK(a.state_name() != c.state_name());
  CHECK(a.state_name() == WatchSpec{Filter{}, 2.5}.state_name());
}

TEST_CASE("run_hook passes the offer in the environment and as JSON on stdin") {
  auto out = std::filesystem::temp_directory_path() / ("orch-hook-" + std::to_string(::getpid()));
  std::string cmd = "printf '%s|%s|%s|%s|' \"$ORCH_PRICE_PROVIDER\" \"$ORCH_PRICE_INSTANCE\" \"$ORCH_PRICE_REGION\" "
                    "\"$ORCH_PRICE_PRICE\" > " + out.string() + "; cat >> " + out.string() + "; exit 3";
  CHECK(run_hook(cmd, match("gpu_1x_h100_pcie", 2.49), 2.5, false) == 3);
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  std::filesystem::remove(out);
  auto bar = text.rfind('|');
  CHECK(text.substr(0, bar + 1) == "lambda|gpu_1x_h100_pcie|us-east-1|2.49|");
  auto j = nlohmann::json::parse(text.substr(bar + 1));
  CHECK(j["price"] == 2.49);
  CHECK(j["instance_type"] == "gpu_1x_h100_pcie");
  CHECK(run_hook("true", match("x", 1), 2, true) == 0);  // a command that ignores stdin is fine
}

TEST_CASE("price_series keeps the cheapest matching GPU per provider and refresh") {
  std::vector<HistoryPoint> pts = {
      {100, "lambda", "H100-PCIE", "USD", 2.49, std::nullopt, 2},
      {100, "lambda", "H100-SXM", "USD", 2.99, std::nullopt, 1},
      {200, "lambda", "H100-PCIE", "USD", 2.10, std::nullopt, 2},
      {100, "aws", "H100", "USD", 12.29, 5.0, 1},
      {100, "aws", "A100", "USD", 4.1, 2.0, 1},
  };
  auto s = price_series(pts, "H100", {}, false);
  REQUIRE(s.size() == 2);
  CHECK(s[1].provider == "lambda");
  REQUIRE(s[1].points.size() == 2);
  CHECK(s[1].points[0].second == 2.49);
  CHECK(s[1].points[1].second == 2.10);
  auto spot = price_series(pts, "H100", {"aws"}, true);
  REQUIRE(spot.size() == 1);
  CHECK(spot[0].points[0].second == 5.0);
  CHECK(sparkline({1, 2, 3}) == "▁▅█");
  CHECK(sparkline({2, 2}) == "▄▄");
  CHECK(sparkline({}) == "");
}

TEST_CASE("record_check labels the state and keeps the latest crossings for watch_states") {
  orch::testing::TempDir dir;
  Store store(dir.path());
  WatchSpec spec;
  spec.filter.gpu = "H100";
  spec.below = 2.5;
  nlohmann::json state = nlohmann::json::object();
  auto crossed = detect_crossings({match("a", 2.49)}, spec.below, state);
  record_check(state, spec, crossed, 1000);
  store.write_state(spec.state_name(), state);
  store.write_state("unrelated", {{"x", 1}});
  for (int i = 0; i < 60; ++i) record_check(state, spec, crossed, 2000 + i);
  CHECK(state["recent"].size() == 50);
  CHECK(state["recent"].back()["at"] == 2059);

  auto all = watch_states(store);
  REQUIRE(all.size() == 1);
  CHECK(all[0]["watch"]["gpu"] == "H100");
  CHECK(all[0]["watch"]["below"] == 2.5);
  CHECK(all[0]["checked_at"] == 1000);
  REQUIRE(all[0]["recent"].size() == 1);
  CHECK(all[0]["recent"][0]["instance_type"] == "a");
  CHECK(all[0]["recent"][0]["price"] == 2.49);
}
