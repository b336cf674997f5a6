#pragma once
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/sandbox/run.hpp"

namespace orch::server {

// The runs in flight by id, so DELETE /v1/runs/{id} can cancel one of its tenant's.
class RunCancels {
 public:
  using Flag = std::shared_ptr<std::atomic<bool>>;
  Flag add(const std::string& run_id, const std::string& tenant);
  void remove(const std::string& run_id);
  // False when no run of that tenant has that id (it ended, or never was).
  bool cancel(const std::string& run_id, const std::string& tenant);

 private:
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, Flag>> runs_;
};

// Passes output on and adds the cancel flag to what the wrapped observer says.
class CancellableObserver : public sandbox::Observer {
 public:
  CancellableObserver(sandbox::Observer& inner, RunCancels::Flag flag) : inner_(inner), flag_(std::move(flag)) {}
  void on_output(bool is_stderr, std::string_view data) override { inner_.on_output(is_stderr, data); }
  bool cancelled() override { return *flag_ || inner_.cancelled(); }

 private:
  sandbox::Observer& inner_;
  RunCancels::Flag flag_;
};

}  // namespace orch::server
