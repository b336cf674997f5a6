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

#include "core/sandbox/run.hpp"

namespace orch::sandbox {

// The command a pooled container starts with: the language's interpreter already running a small
// runner (src/assets/warm/) that waits on stdin for "SIZE\n" and a tar holding the files and
// .orch/run.json (argv, env) and .orch/run.sh (the same for the shell runner).
std::vector<std::string> warm_command(const templates::Language& lang);
// What a warm runner reads to run `plan` ("SIZE\n" and the tar), before the program's stdin;
// `token` marks the end of its output.
std::string warm_request(const RunPlan& plan, const std::string& token);
// Whether a plan can use a warm sandbox of its template (default language, limits, network, no --out).
bool fits_warm(const RunPlan& plan, const std::string& runtime);

// Keeps N started, waiting sandboxes per template and replaces each one taken, in the background.
// Nothing carries from one run to the next: a pooled sandbox serves exactly one run. A replacement
// is made once the run that took a sandbox has ended (or after a second), not during it: on a small
// machine creating a container beside a running one costs that run more than the pool saves.
class Pool {
 public:
  Pool(engine::Engine& engine, const templates::Store& store, std::map<std::string, int> targets, std::string runtime);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  void start();
  std::optional<Started> take(const RunPlan& plan);
  // Hands back a sandbox from take() after its run: it is removed in the background, so a run
  // answers as soon as its program is done.
  void release(Started st);
  nlohmann::json state() const;  // {template: {ready, target}}
  void shutdown();               // stops refilling and removes every pooled sandbox

 private:
  void refill_loop();
  Started make(const templates::Template& t);
  void discard(Started st);

  engine::Engine& engine_;
  const templates::Store& store_;
  std::map<std::string, int> targets_;
  std::string runtime_;
  std::atomic<bool> direct_{false};  // pooled python runners send their output over DirectOutput
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::deque<Started>> ready_;
  std::map<std::string, std::string> last_error_;
  std::map<std::string, uint64_t> refills_;  // sandboxes made, per template
  std::deque<Started> discarded_;
  int in_use_ = 0;  // taken and not yet released
  std::chrono::steady_clock::time_point last_take_;
  bool stop_ = false;
  std::thread thread_;
};

// Runs a plan in a warm sandbox taken from `pool`, which then removes it in the background.
RunResult run_warm(engine::Engine& engine, Pool& pool, Started st, const RunPlan& plan, Observer& observer);

}  // namespace orch::sandbox
