#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/session/manager.hpp"

namespace orch::session {

// Sessions started ahead of time, with their kernel and agent running, per template and home. A
// pooled session's container cannot carry its future owner in labels (they are fixed at create),
// so a claim writes owner, labels, environment, attributes and expiry as the labels of an engine
// record named after it (Docker: a volume, never mounted) and tells its supervisor the expiry; the
// engine's own expiry (Docker: the container name) moves afterwards, on the pool's thread.
// The engine stays the only store: `orch session ls` and a restarted server see claimed sessions;
// unclaimed ones are removed when the pool stops, and by `orch gc` once their server is gone.
class SessionPool {
 public:
  SessionPool(Manager& m, std::map<PoolKey, int> targets);
  ~SessionPool();
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  std::optional<Manager::Launched> take(const PoolKey& key);
  nlohmann::json state() const;
  void later(std::function<void()> fn);  // engine work a claim leaves for the pool's thread
  void stop();                           // stops refilling and removes every unclaimed session

 private:
  void loop();

  Manager& m_;
  std::map<PoolKey, int> targets_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<PoolKey, std::deque<Manager::Launched>> ready_;
  std::map<PoolKey, std::string> last_error_;
  std::deque<std::function<void()>> chores_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace orch::session
