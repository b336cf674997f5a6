#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>

namespace orch::server {

// The bytes of program output the server may hold at once for all requests in flight. A request
// reserves what its caps allow before its sandbox starts and keeps it until its answer is sent, so
// the memory held for output never passes the budget, however the programs behave. Requests are
// served first come, first served; one that asks for more than the whole budget waits until it can
// have all of it, and then runs alone.
class OutputBudget {
 public:
  explicit OutputBudget(size_t total) : total_(total) {}

  class Lease {
   public:
    Lease(OutputBudget* b, size_t n) : b_(b), n_(n) {}
    Lease(Lease&& o) noexcept : b_(o.b_), n_(o.n_) { o.b_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (b_) b_->release(n_);
    }
    size_t bytes() const { return n_; }

   private:
    OutputBudget* b_;
    size_t n_;
  };

  // Waits up to `wait` for `bytes` (at most the whole budget); nullopt when the wait ran out or
  // `give_up` said so (checked every 100 ms).
  std::optional<Lease> acquire(size_t bytes, std::chrono::milliseconds wait, const std::function<bool()>& give_up);
  size_t total() const { return total_; }
  size_t in_use() const;
  size_t waiting() const;  // requests queued for their share

 private:
  void release(size_t n);
  void advance();  // the next ticket still waiting is served next

  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t total_;
  size_t used_ = 0;
  uint64_t next_ticket_ = 0, serving_ = 0;
  std::set<uint64_t> abandoned_;
};

}  // namespace orch::server
