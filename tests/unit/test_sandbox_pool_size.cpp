#include <doctest/doctest.h>

#include <string>

#include "core/error.hpp"
#include "core/sandbox/pool_size.hpp"

using namespace orch;
using namespace orch::sandbox;
using Clock = Demand::Clock;

namespace {

std::string refused(const std::string& spec) {
  try {
    parse_pool_sizes({spec});
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadInput);
    return e.what();
  }
  FAIL("accepted " << spec);
  return "";
}

}  // namespace

TEST_CASE("parse_pool_sizes: fixed counts, auto and ranges") {
  auto s = parse_pool_sizes({"python=2,node=auto", "bash=0-8"});  // as from --pool python=2,node=auto --pool bash=0-8
  REQUIRE(s.size() == 3);
  CHECK(s["python"].floor == 2);
  CHECK(s["python"].ceiling == 2);
  CHECK_FALSE(s["python"].adaptive());
  CHECK(s["node"].floor == 1);
  CHECK(s["node"].ceiling == kAutoCeiling);
  CHECK(s["node"].adaptive());
  CHECK(s["bash"].floor == 0);
  CHECK(s["bash"].ceiling == 8);
  CHECK(parse_pool_sizes({""}).empty());
  CHECK(parse_pool_sizes({}).empty());
}

TEST_CASE("parse_pool_sizes: what is not a size is refused, naming the item") {
  CHECK(refused("python").find("'python'") != std::string::npos);
  CHECK(refused("python=-1").find("'python=-1'") != std::string::npos);
  CHECK(refused("python=65").find("0 to 64") != std::string::npos);
  refused("python=8-2");
  refused("python=two");
  refused("=2");
  refused("python=2-");
  CHECK(refused("python=2,python=3").find("'python' is given more than once") != std::string::npos);
  try {
    parse_pool_sizes({"python=1", "python=auto"}, "--session-pool");
    FAIL("a template named twice was accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "--session-pool: 'python' is given more than once");
  }
}

TEST_CASE("Demand: a fixed size is what it says, whatever the traffic") {
  Demand d;
  auto t = Clock::now();
  for (int i = 0; i < 50; ++i) d.on_arrival(t + std::chrono::milliseconds(100 * i));
  CHECK(d.stock({3, 3}, t + std::chrono::seconds(5)) == 3);
}

TEST_CASE("Demand: auto covers rate x preparation time with room for bursts, and falls back when traffic stops") {
  Demand d;
  d.on_prepared(1.0);
  PoolSize size{1, 32};
  auto t = Clock::now();
  CHECK(d.stock(size, t) == 1);  // no traffic: the floor
  // Four runs a second for a minute.
  for (int i = 0; i < 240; ++i) d.on_arrival(t + std::chrono::milliseconds(250 * i));
  auto end = t + std::chrono::seconds(60);
  CHECK(d.rate(end) == doctest::Approx(4).epsilon(0.25));
  int busy = d.stock(size, end);
  CHECK(busy >= 8);  // 4/s x 1 s = 4 in the pipeline, plus 3 x sqrt(4) = 6 for bursts
  CHECK(busy <= 12);
  CHECK(d.refill_concurrency(end) >= 5);
  // A slower engine asks for more.
  Demand slow = d;
  for (int i = 0; i < 10; ++i) slow.on_prepared(3.0);
  CHECK(slow.stock(size, end) > busy);
  // Quiet for five minutes: back to the floor.
  CHECK(d.stock(size, end + std::chrono::minutes(5)) == 1);
  // The ceiling holds.
  CHECK(d.stock({1, 5}, end) == 5);
}

TEST_CASE("Demand: the rate follows a burst within seconds") {
  Demand d;
  d.on_prepared(0.5);
  auto t = Clock::now();
  for (int i = 0; i < 20; ++i) d.on_arrival(t + std::chrono::milliseconds(100 * i));
  CHECK(d.rate(t + std::chrono::seconds(2)) > 4);
}
