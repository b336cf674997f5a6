#include "server/budget.hpp"

#include <algorithm>

namespace orch::server {

std::optional<OutputBudget::Lease> OutputBudget::acquire(size_t bytes, std::chrono::milliseconds wait,
                                                         const std::function<bool()>& give_up) {
  bytes = std::min(bytes, total_);
  auto deadline = std::chrono::steady_clock::now() + wait;
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t ticket = next_ticket_++;
  for (;;) {
    if (ticket == serving_ && used_ + bytes <= total_) {
      used_ += bytes;
      advance();
      return Lease(this, bytes);
    }
    if (std::chrono::steady_clock::now() >= deadline || (give_up && give_up())) {
      if (ticket == serving_) advance();
      else abandoned_.insert(ticket);
      return std::nullopt;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

void OutputBudget::advance() {
  ++serving_;
  while (abandoned_.erase(serving_)) ++serving_;
  cv_.notify_all();
}

void OutputBudget::release(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  used_ -= n;
  cv_.notify_all();
}

size_t OutputBudget::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(next_ticket_ - serving_) - abandoned_.size();
}

size_t OutputBudget::in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return used_;
}

}  // namespace orch::server
