#include "core/sandbox/pool.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>

#include "core/error.hpp"
#include "core/sandbox/direct_io.hpp"
#include "core/sandbox/warm.hpp"

namespace orch::sandbox {

namespace {

// Used sandboxes waiting for removal past which no new one is prepared: removal is engine work too.
constexpr size_t kMaxBacklog = 16;
constexpr int kRemovers = 4;
constexpr auto kRetryAfterError = std::chrono::seconds(5);
constexpr auto kMaxWait = std::chrono::seconds(120);
// How long engine work waits after a run so that its answer goes out first.
constexpr auto kSettle = std::chrono::milliseconds(20);
// The longest a quiet hit holds its refill back (a long run does not keep the pool short).
constexpr auto kHoldMax = std::chrono::seconds(2);
// How long a removal waits for a runner that is done to stop by itself before it is killed.
constexpr auto kRetireWait = std::chrono::seconds(2);

// A runner that got to its end marks waits for orch to close its direct sockets, then exits: the
// engine then removes a container that stopped by itself. Removing one that still runs costs a kill
// on top (a runc process, the engine's signal and exit handling: 5-10% of a pooled sandbox's engine
// CPU on a small host, which a saturated pool pays for every run). Closing comes first, for every
// sandbox due (tell): their runners end side by side while a remover waits for one (retire).
bool tell(Started& st) {
  if (!st.out || !st.waiter) return false;
  st.out.reset();
  st.err.reset();
  return true;
}

void retire(Started& st) {
  try {
    st.waiter->exit_code(kRetireWait);
  } catch (const std::exception&) {
    // still running, or the engine is away: the removal kills it
  }
}

}  // namespace

void Pool::EngineKnee::on_prepared(double seconds, int in_flight, Clock::time_point now) {
  if (best_s == 0 || seconds < best_s || now - best_at > std::chrono::minutes(2)) {
    best_s = seconds;
    best_at = now;
  }
  // Preparations that only waited in the engine's queue, by Little's law (TCP Vegas' estimate).
  double queued = in_flight * (1 - best_s / seconds);
  if (queued < 1 && in_flight >= limit) limit = std::min(limit + 1, kPoolCeiling);
  else if (queued > 2) limit = std::max(limit - 1, 1);
}

Pool::Pool(engine::Engine& engine, const templates::Store& store, PoolOptions opts)
    : engine_(engine), store_(store), opts_(std::move(opts)) {
  if (opts_.memory_budget <= 0) opts_.memory_budget = default_pool_memory();
  for (const auto& [name, size] : opts_.sizes) {
    const auto& t = store_.get(name);  // unknown template: NotFound now, not later
    Entry& e = entries_[name];
    e.size = size;
    e.memory_each = pool_spec(t, opts_.runtime, "").memory_bytes;
  }
  // Direct output needs an engine that mounts host directories, and a runtime whose sandbox can
  // reach a host socket (gVisor's cannot).
  direct_ = engine_.capabilities().host_mounts && opts_.runtime != "runsc";
}

Pool::~Pool() { shutdown(); }

void Pool::start() {
  if (entries_.empty()) return;
  if (direct_) DirectOutput::remove_stale();
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < kRemovers; ++i) threads_.emplace_back([this] { remove_loop(); });
  threads_.emplace_back([this] { tick_loop(); });
  schedule(Clock::now());
}

int64_t Pool::memory_held() const {
  int64_t held = 0;
  for (const auto& [name, e] : entries_) held += (static_cast<int64_t>(e.ready.size()) + e.preparing) * e.memory_each;
  return held;
}

void Pool::schedule(Clock::time_point now) {
  if (stop_ || threads_.empty()) return;
  for (auto& [name, e] : entries_) {
    if (!e.last_error.empty() && now < e.retry_at) continue;
    int waiting = static_cast<int>(e.waiters.size());
    if (waiting == 0 && now < e.hold_until) continue;
    int want = e.demand.stock(e.size, now) + waiting;
    int refills = e.demand.refill_concurrency(now);
    while (static_cast<int>(e.ready.size()) + e.preparing < want && discarded_.size() <= kMaxBacklog &&
           memory_held() + e.memory_each <= opts_.memory_budget) {
      // Every preparation stays within what the engine keeps up with, a waiting run's too: past
      // its knee more at once only share the engine (without a pool, 16 clients got 10-20% fewer
      // runs a second than 4 on two cores), and a waiting run takes the next one ready, in turn.
      // Refills go only beside the waiting runs' preparations.
      if (in_flight_ >= knee_.limit) break;
      if (e.preparing >= waiting && e.preparing - waiting >= refills) break;
      ++e.preparing;
      ++in_flight_;
      jobs_.push_back(name);
      if (!e.last_error.empty()) break;  // one try after an error, not a burst
    }
  }
  for (size_t spare = static_cast<size_t>(idle_workers_); spare < jobs_.size(); ++spare) threads_.emplace_back([this] { prepare_loop(); });
  if (!jobs_.empty()) work_cv_.notify_all();
}

void Pool::shrink(Clock::time_point now) {
  for (auto& [name, e] : entries_) {
    if (e.ready.empty() || !e.waiters.empty() || now - e.last_shrink < std::chrono::seconds(1)) continue;
    if (static_cast<int>(e.ready.size()) <= e.demand.stock(e.size, now) ||
        now - e.ready.front().since < std::chrono::duration<double>(opts_.idle_s))
      continue;
    discard(std::move(e.ready.front().st), now);
    e.ready.pop_front();
    e.last_shrink = now;
  }
}

void Pool::prepare_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    ++idle_workers_;
    work_cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    --idle_workers_;
    if (stop_) return;
    std::string name = jobs_.front();
    jobs_.pop_front();
    int in_flight = in_flight_;
    lock.unlock();
    std::optional<Started> made;
    std::string error;
    auto t0 = Clock::now();
    try {
      made = prepare_warm(engine_, *store_.find(name), opts_.runtime, direct_);
    } catch (const std::exception& e) {
      error = e.what();
    }
    double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    lock.lock();
    finish_prepare(name, std::move(made), error, seconds, in_flight);
  }
}

void Pool::finish_prepare(const std::string& name, std::optional<Started> made, const std::string& error, double seconds, int in_flight) {
  auto now = Clock::now();
  Entry& e = entries_[name];
  --e.preparing;
  --in_flight_;
  if (made) {
    ++e.refills;
    e.demand.on_prepared(seconds);
    knee_.on_prepared(seconds, in_flight, now);
    e.last_error.clear();
    if (stop_) {
      discard(std::move(*made), now);
    } else if (!e.waiters.empty()) {
      e.waiters.front()->got = std::move(made);
      e.waiters.pop_front();
      waiter_cv_.notify_all();
    } else {
      e.ready.push_back({std::move(*made), now});
    }
  } else {
    if (e.last_error != error) std::cerr << "orch serve: pool " << name << ": " << error << std::endl;
    e.last_error = error;
    e.retry_at = now + kRetryAfterError;
    // Runs waiting go the cold way, which reports the engine's answer to their caller.
    for (Waiter* w : e.waiters) w->failed = true;
    e.waiters.clear();
    waiter_cv_.notify_all();
  }
  schedule(now);
}

void Pool::discard(Started st, Clock::time_point not_before, bool ended) {
  discarded_.push_back({std::move(st), not_before, ended});
  if (removal_due(Clock::now())) removal_cv_.notify_one();
}

bool Pool::removal_due(Clock::time_point now) const { return !discarded_.empty() && (stop_ || discarded_.front().not_before <= now); }

void Pool::remove_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // The ticker wakes a remover when a settling sandbox falls due (tick_loop).
    removal_cv_.wait(lock, [this] { return (stop_ && discarded_.empty()) || removal_due(Clock::now()); });
    if (discarded_.empty()) return;
    auto now = Clock::now();
    for (auto& d : discarded_)
      if (d.ended && !d.told && (stop_ || d.not_before <= now)) d.told = tell(d.st);
    Started old = std::move(discarded_.front().st);
    bool told = discarded_.front().told;
    discarded_.pop_front();
    if (removal_due(now)) removal_cv_.notify_one();  // the next one, side by side
    lock.unlock();
    if (told) retire(old);
    old = Started{};  // the guard removes the container, outside the lock
    lock.lock();
    schedule(Clock::now());
  }
}

// The pool's clock: the one thread that waits for a time. A run's end (release) wakes it at most
// once, and nothing else that runs then: its answer goes out while the removal and the held refill
// wait for their time (kSettle), and a wake-up is a context switch on a small host.
void Pool::tick_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    auto now = Clock::now();
    tick_at_ = now + std::chrono::seconds(1);
    for (const auto& [name, e] : entries_)
      if (e.hold_until > now) tick_at_ = std::min(tick_at_, e.hold_until);
    for (const auto& d : discarded_)
      if (d.not_before > now) {
        tick_at_ = std::min(tick_at_, d.not_before);
        break;
      }
    tick_cv_.wait_until(lock, tick_at_);
    if (stop_) break;
    now = Clock::now();
    if (removal_due(now)) removal_cv_.notify_one();
    shrink(now);
    schedule(now);
  }
}

Pool::Taken Pool::take(const RunPlan& plan, Observer& observer) {
  if (!fits_warm(plan, opts_.runtime)) return {};
  std::unique_lock<std::mutex> lock(mu_);
  auto it = entries_.find(plan.tmpl->name);
  if (stop_ || it == entries_.end() || it->second.size.ceiling == 0) return {};
  Entry& e = it->second;
  Taken taken;
  taken.pooled = true;
  auto now = Clock::now();
  // Quiet traffic: the last run came longer ago than a sandbox takes to prepare, so a refill started
  // a run's length later costs no hit.
  bool quiet = now - e.last_arrival > std::chrono::duration<double>(e.demand.prep_seconds());
  e.last_arrival = now;
  e.demand.on_arrival(now);
  while (!e.ready.empty()) {
    Started st = std::move(e.ready.front().st);
    e.ready.pop_front();
    // A runner says nothing until it has input, so anything readable on its stream (the end of it,
    // after the engine restarted or the container died) means it cannot take a run: drop it.
    if (st.stream->quiet() && (!st.out || (st.out->quiet() && st.err->quiet()))) {
      if (!e.ready.empty() && quiet) {
        e.hold_until = std::max(e.hold_until, now + kHoldMax);  // until release(); the ticker wakes sooner anyway
      } else {
        e.hold_until = {};  // the last one ready is gone: no held refill waits any longer
        schedule(now);
      }
      taken.sandbox = std::move(st);
      taken.hit = true;
      return taken;
    }
    discard(std::move(st), now);
  }
  if (!e.last_error.empty() && now < e.retry_at) return taken;
  Waiter w;
  e.waiters.push_back(&w);
  schedule(now);
  auto forget = [&e, &w] {
    auto pos = std::find(e.waiters.begin(), e.waiters.end(), &w);
    if (pos != e.waiters.end()) e.waiters.erase(pos);
  };
  // Held back by the memory budget rather than by removals catching up or the engine's knee: this
  // run goes cold.
  if (e.preparing < static_cast<int>(e.waiters.size()) && memory_held() + e.memory_each > opts_.memory_budget) {
    forget();
    return taken;
  }
  auto deadline = now + kMaxWait;
  while (!w.got && !w.failed && !stop_) {
    waiter_cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (w.got || w.failed) break;
    if (observer.cancelled() || Clock::now() >= deadline) {
      forget();
      break;
    }
  }
  if (w.got) taken.sandbox = std::move(*w.got);
  forget();
  return taken;
}

void Pool::release(const std::string& tmpl, Started st, bool ended) {
  std::unique_lock<std::mutex> lock(mu_);
  auto settled = Clock::now() + kSettle;
  discarded_.push_back({std::move(st), settled, ended});
  if (auto it = entries_.find(tmpl); it != entries_.end() && it->second.hold_until > settled) it->second.hold_until = settled;
  bool wake = tick_at_ > settled;
  lock.unlock();
  if (wake) tick_cv_.notify_one();
}

nlohmann::json Pool::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = Clock::now();
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, e] : entries_) {
    j[name] = {{"ready", e.ready.size()},
               {"preparing", e.preparing},
               {"target", e.demand.stock(e.size, now)},
               {"floor", e.size.floor},
               {"ceiling", e.size.ceiling},
               {"refills", e.refills},
               {"arrivals_per_s", std::round(e.demand.rate(now) * 100) / 100},
               {"prepare_ms", std::lround(e.demand.prep_seconds() * 1000)},
               {"removing", discarded_.size()}};
    if (!e.last_error.empty()) j[name]["error"] = e.last_error;
  }
  return j;
}

void Pool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    for (auto& [name, e] : entries_) {
      for (auto& r : e.ready) discarded_.push_back({std::move(r.st), {}});
      e.ready.clear();
    }
    threads.swap(threads_);
    work_cv_.notify_all();
    waiter_cv_.notify_all();
    removal_cv_.notify_all();
    tick_cv_.notify_all();
  }
  for (auto& t : threads) t.join();
  std::lock_guard<std::mutex> lock(mu_);
  discarded_.clear();  // each Started's guard removes its container
}

}  // namespace orch::sandbox
