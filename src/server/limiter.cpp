#include "server/limiter.hpp"

#include <algorithm>
#include <chrono>

#include "core/error.hpp"

namespace orch::server {

bool Limiter::try_acquire(const std::string& tenant, int tenant_max) {
  std::lock_guard<std::mutex> lock(mu_);
  int cap = tenant_max > 0 ? tenant_max : tenant_default_;
  int& mine = per_tenant_[tenant];
  if (global_ >= global_max_ || mine >= cap) return false;
  ++global_;
  ++mine;
  return true;
}

void Limiter::release(const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  --global_;
  if (--per_tenant_[tenant] <= 0) per_tenant_.erase(tenant);
}

int Limiter::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return global_;
}

SessionGate::Pass SessionGate::enter(const std::string& tenant, int cap, const std::function<int()>& listed) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto busy = [&] {
    return Error(ErrorKind::Busy, "tenant '" + tenant + "' already has " + std::to_string(cap) + " sessions; remove one first");
  };
  for (;;) {
    if (std::chrono::steady_clock::now() >= deadline) throw busy();
    uint64_t seen = finished();
    int n = listed();  // asks the engine: outside the lock
    std::unique_lock<std::mutex> lock(mu_);
    if (finished_ != seen) continue;  // a create ended meanwhile: its session may be missing from n
    int& pending = pending_[tenant];
    if (n + pending + 1 <= cap || (pending == 0 && n < cap)) {
      ++pending;
      return Pass(this, tenant);
    }
    if (std::max(n, pending) >= cap) {
      if (pending == 0) pending_.erase(tenant);
      throw busy();
    }
    cv_.wait_until(lock, deadline, [&] { return pending_[tenant] == 0; });
  }
}

uint64_t SessionGate::finished() {
  std::lock_guard<std::mutex> lock(mu_);
  return finished_;
}

void SessionGate::leave(const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  ++finished_;
  if (--pending_[tenant] <= 0) pending_.erase(tenant);
  cv_.notify_all();
}

}  // namespace orch::server
