#include "server/budget.hpp"

#include <algorithm>

namespace orch::server {

std::optional<OutputBudget::Lease> OutputBudget::acquire(size_t bytes, std::chrono::milliseconds wait, const std::function<bool()>& give_up,
                                                         const std::string& tenant, size_t tenant_share) {
  size_t share = tenant_share == 0 ? total_ : std::min(tenant_share, total_);
  bytes = std::min(bytes, share);
  auto deadline = std::chrono::steady_clock::now() + wait;
  std::unique_lock<std::mutex> lock(mu_);
  // A request joins the line only within its tenant's share, so a tenant at its share waits
  // behind no one's ticket and holds up no one behind its own.
  std::optional<uint64_t> ticket;
  for (;;) {
    if (!ticket && (tenant_share == 0 || by_tenant_[tenant] + bytes <= share)) {
      ticket = next_ticket_++;
      if (tenant_share != 0) by_tenant_[tenant] += bytes;
    }
    if (ticket && *ticket == serving_ && used_ + bytes <= total_) {
      used_ += bytes;
      advance();
      return Lease(this, bytes, tenant);
    }
    if (std::chrono::steady_clock::now() >= deadline || (give_up && give_up())) {
      if (ticket) {
        if (tenant_share != 0) forget(bytes, tenant);
        if (*ticket == serving_) advance();
        else abandoned_.insert(*ticket);
      }
      return std::nullopt;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

void OutputBudget::forget(size_t n, const std::string& tenant) {
  auto it = by_tenant_.find(tenant);
  if (it == by_tenant_.end()) return;
  it->second -= std::min(n, it->second);
  if (it->second == 0) by_tenant_.erase(it);
}

void OutputBudget::advance() {
  ++serving_;
  while (abandoned_.erase(serving_)) ++serving_;
  cv_.notify_all();
}

void OutputBudget::release(size_t n, const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  used_ -= n;
  forget(n, tenant);
  cv_.notify_all();
}

size_t OutputBudget::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(next_ticket_ - serving_) - abandoned_.size();  // those still outside the line are not counted
}

size_t OutputBudget::in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return used_;
}

}  // namespace orch::server
