#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace orch::sandbox {

// How many sandboxes the pool keeps for one template: a fixed number (floor == ceiling), or
// `auto`, anywhere between floor and ceiling as demand asks.
struct PoolSize {
  int floor = 0;
  int ceiling = 0;
  bool adaptive() const { return ceiling > floor; }
};

inline constexpr int kPoolCeiling = 64;
inline constexpr int kAutoCeiling = 32;

// `--pool` as written, once or more: "python=2,node=auto,bash=1-8" (auto is 1-32). Throws BadInput
// naming `flag` and the item, or a template named twice.
std::map<std::string, PoolSize> parse_pool_sizes(const std::vector<std::string>& specs, const std::string& flag = "--pool");

// What the pool knows of one template's traffic: the arrival rate of runs that fit it, and how long
// a sandbox takes to prepare. The stock (ready plus in preparation) it asks for covers the runs that
// arrive while a replacement is being made (Little's law: rate x preparation time), with three
// standard deviations of Poisson arrivals on top, so that well over 99% of runs find one ready.
class Demand {
 public:
  using Clock = std::chrono::steady_clock;

  void on_arrival(Clock::time_point now);
  void on_prepared(double seconds);

  // Runs per second: the larger of a fast estimate (grows within seconds of traffic starting) and
  // a slow one (shrinks over minutes once it stops).
  double rate(Clock::time_point now) const;
  double prep_seconds() const { return prep_s_; }
  // Sandboxes in use or on their way, on average: rate x preparation time.
  double in_pipeline(Clock::time_point now) const { return rate(now) * prep_s_; }
  int stock(const PoolSize& size, Clock::time_point now) const;
  // Preparations in flight for refills (runs waiting for one always get theirs): enough to keep up
  // with the rate, one more for bursts.
  int refill_concurrency(Clock::time_point now) const;

 private:
  struct Ewma {
    double tau_s;
    double value = 0;
    Clock::time_point at{};
    double at_time(Clock::time_point now) const;
    void add(Clock::time_point now);
  };
  Ewma fast_{2.0}, slow_{30.0};
  double prep_s_ = 0.5;  // until the first sandbox is measured
  bool measured_ = false;
};

// A quarter of this machine's memory: the default budget for the limits of pooled sandboxes.
int64_t default_pool_memory();

}  // namespace orch::sandbox
