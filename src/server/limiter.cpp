#include "server/limiter.hpp"

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

}  // namespace orch::server
