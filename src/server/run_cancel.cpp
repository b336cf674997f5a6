#include "server/run_cancel.hpp"

namespace orch::server {

RunCancels::Flag RunCancels::add(const std::string& run_id, const std::string& tenant) {
  auto flag = std::make_shared<std::atomic<bool>>(false);
  std::lock_guard<std::mutex> lock(mu_);
  runs_[run_id] = {tenant, flag};
  return flag;
}

void RunCancels::remove(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mu_);
  runs_.erase(run_id);
}

bool RunCancels::cancel(const std::string& run_id, const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(run_id);
  if (it == runs_.end() || it->second.first != tenant) return false;
  *it->second.second = true;
  return true;
}

}  // namespace orch::server
