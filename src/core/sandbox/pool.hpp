#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/sandbox/pool_size.hpp"
#include "core/sandbox/run.hpp"

namespace orch::sandbox {

struct PoolOptions {
  std::map<std::string, PoolSize> sizes;  // per template
  std::string runtime;                    // every pooled sandbox's ("" = the engine's default)
  int64_t memory_budget = 0;              // the most the memory limits of pooled sandboxes may add up to; 0 = default_pool_memory()
  double idle_s = 30;                     // how long a ready sandbox beyond the target waits unused before it is removed
};

// Keeps started, waiting sandboxes per template. A pooled sandbox serves exactly one run: nothing
// carries from one run to the next. The stock (ready plus in preparation) follows the template's
// PoolSize: a fixed count, or for `auto` what the arrival rate and the measured preparation time
// ask (Demand), between its floor and ceiling and within the memory budget; it shrinks back to the
// floor when traffic stops. A run that finds none ready waits for the next one being prepared (one
// is started for it if none is spare) instead of creating its own beside the pool's, so a busy
// engine is never asked for more sandboxes than runs need. Every preparation, a waiting run's too,
// stays within what the engine keeps up with (EngineKnee): past it, waiting runs take the next
// sandbox ready in turn; used sandboxes are removed in the background.
// At quiet traffic (the last run came longer ago than a preparation takes) a hit that leaves a
// sandbox ready holds its refill until the run is over, and a
// used sandbox waits kSettle before its removal: on a small host the engine's container work would
// otherwise take the CPU the run and its answer need.
class Pool {
 public:
  Pool(engine::Engine& engine, const templates::Store& store, PoolOptions opts);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  void start();

  struct Taken {
    std::optional<Started> sandbox;  // nullopt: run it the cold way
    bool pooled = false;             // the plan fits a template the pool keeps: a hit or a miss
    bool hit = false;                // one was ready the moment the run asked
  };
  // A sandbox for `plan`: a ready one, else the next one prepared (waiting while `observer` has
  // not given up); nothing when the plan does not fit the pool or the pool cannot make one.
  Taken take(const RunPlan& plan, Observer& observer);
  // Hands back a sandbox that take() gave for a run of `tmpl` once the run is over: it is removed
  // in the background, so a run answers as soon as its program is done. `ended`: its runner got to
  // its end marks, so it stops by itself once orch closes its direct sockets (see retire()).
  void release(const std::string& tmpl, Started st, bool ended);
  nlohmann::json state() const;  // {template: {ready, preparing, target, floor, ceiling, refills, ...}}
  void shutdown();               // stops refilling and removes every pooled sandbox

 private:
  using Clock = std::chrono::steady_clock;
  struct Waiter {
    std::optional<Started> got;
    bool failed = false;
  };
  struct Ready {
    Started st;
    Clock::time_point since;
  };
  struct Discarded {
    Started st;
    Clock::time_point not_before;  // removed from then on
    bool ended = false;            // its runner is done and waits for its sockets to close
    bool told = false;             // they are closed: the runner is on its way out
  };
  struct Entry {
    PoolSize size;
    int64_t memory_each = 0;
    Demand demand;
    std::deque<Ready> ready;
    int preparing = 0;
    std::deque<Waiter*> waiters;
    std::string last_error;
    Clock::time_point retry_at{};
    Clock::time_point last_shrink{};
    Clock::time_point last_arrival{};
    Clock::time_point hold_until{};  // refills wait for a quiet hit's run until then (waiting runs never do)
    uint64_t refills = 0;
  };
  // How many preparations the engine takes at once before they only queue: grows while one more
  // in flight leaves preparation time near its unloaded best, shrinks once it mostly adds waiting.
  struct EngineKnee {
    int limit = 2;
    double best_s = 0;  // the fastest preparation lately
    Clock::time_point best_at{};
    void on_prepared(double seconds, int in_flight, Clock::time_point now);
  };

  void schedule(Clock::time_point now);  // with mu_ held: starts the preparations stock and waiters ask for
  void shrink(Clock::time_point now);    // with mu_ held: drops ready sandboxes beyond the target, one a second
  void prepare_loop();
  void remove_loop();
  void tick_loop();
  void discard(Started st, Clock::time_point not_before, bool ended = false);  // with mu_ held
  bool removal_due(Clock::time_point now) const;                               // with mu_ held
  void finish_prepare(const std::string& name, std::optional<Started> made, const std::string& error, double seconds, int in_flight);
  int64_t memory_held() const;

  engine::Engine& engine_;
  const templates::Store& store_;
  PoolOptions opts_;
  std::atomic<bool> direct_{false};  // pooled runners send their output over DirectOutput
  mutable std::mutex mu_;
  std::condition_variable work_cv_, waiter_cv_, removal_cv_, tick_cv_;
  std::map<std::string, Entry> entries_;
  std::deque<std::string> jobs_;  // preparations to start, by template
  int idle_workers_ = 0;
  int in_flight_ = 0;  // preparations running, every template
  EngineKnee knee_;
  std::deque<Discarded> discarded_;
  Clock::time_point tick_at_{};  // when the ticker wakes next
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace orch::sandbox
