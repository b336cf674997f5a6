#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace orch::server {

// The bytes of program output the server may hold at once for all requests in flight. A request
// reserves what its caps allow before its sandbox starts and keeps it until its answer is sent, so
// the memory held for output never passes the budget, however the programs behave. Requests are
// served first come, first served; one that asks for more than the whole budget waits until it can
// have all of it, and then runs alone. With tenants, each holds at most `tenant_share` (half the
// budget) at once, queued requests included: one tenant's large or many requests wait on their own
// share and never leave the others without one.
class OutputBudget {
 public:
  explicit OutputBudget(size_t total) : total_(total) {}

  class Lease {
   public:
    Lease(OutputBudget* b, size_t n, std::string tenant) : b_(b), n_(n), tenant_(std::move(tenant)) {}
    Lease(Lease&& o) noexcept : b_(o.b_), n_(o.n_), tenant_(std::move(o.tenant_)) { o.b_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (b_) b_->release(n_, tenant_);
    }
    size_t bytes() const { return n_; }

   private:
    OutputBudget* b_;
    size_t n_;
    std::string tenant_;
  };

  // Waits up to `wait` for `bytes` (at most the tenant's share); nullopt when the wait ran out or
  // `give_up` said so (checked every 100 ms). `tenant_share` 0: the whole budget.
  std::optional<Lease> acquire(size_t bytes, std::chrono::milliseconds wait, const std::function<bool()>& give_up,
                               const std::string& tenant = "", size_t tenant_share = 0);
  size_t total() const { return total_; }
  size_t in_use() const;
  size_t waiting() const;  // requests queued for their share

 private:
  void release(size_t n, const std::string& tenant);
  void forget(size_t n, const std::string& tenant);  // under mu_
  void advance();  // the next ticket still waiting is served next

  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t total_;
  size_t used_ = 0;
  uint64_t next_ticket_ = 0, serving_ = 0;
  std::set<uint64_t> abandoned_;
  std::map<std::string, size_t> by_tenant_;  // held and queued
};

}  // namespace orch::server
