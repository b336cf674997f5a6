#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/sandbox/run.hpp"

namespace orch::sandbox {

// How long a removal waits for a sandbox whose program is done to stop by itself before it is killed.
inline constexpr auto kRetireWait = std::chrono::seconds(2);

// Waits (kRetireWait at most) for a started sandbox to stop: the engine removes a container that
// stopped by itself for less than one it has to kill (a runc process, the engine's signal and exit
// handling: 5-10% of a sandbox's engine CPU on a small host).
void wait_for_stop(Started& st);

// Removes the sandboxes of runs that have answered, in the background: a server's one-shot run
// answers at its boot shell's end marks, before the engine has torn its sandbox down (~70 ms on a
// small host). Each waits for its stop (wait_for_stop), so a program that printed end marks of its
// own and goes on is killed then. Past kBacklog waiting, hand_over removes in the caller's thread.
class Retirer {
 public:
  Retirer();
  ~Retirer();  // shutdown()
  Retirer(const Retirer&) = delete;
  Retirer& operator=(const Retirer&) = delete;

  void hand_over(Started st);
  void shutdown();  // removes everything handed over, then stops

 private:
  static constexpr int kThreads = 4;
  static constexpr size_t kBacklog = 64;
  void loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Started> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace orch::sandbox
