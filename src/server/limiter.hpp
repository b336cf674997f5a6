#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace orch::server {

// Global and per-tenant caps on work in flight. try_acquire never waits: a full limit is a 429.
class Limiter {
 public:
  explicit Limiter(int global_max, int tenant_default_max) : global_max_(global_max), tenant_default_(tenant_default_max) {}
  bool try_acquire(const std::string& tenant, int tenant_max);
  void release(const std::string& tenant);
  int in_flight() const;

 private:
  mutable std::mutex mu_;
  int global_max_;
  int tenant_default_;
  int global_ = 0;
  std::map<std::string, int> per_tenant_;
};

// Holds one slot for its lifetime.
class Slot {
 public:
  Slot(Limiter& l, std::string tenant) : l_(&l), tenant_(std::move(tenant)) {}
  Slot(Slot&& o) noexcept : l_(o.l_), tenant_(std::move(o.tenant_)) { o.l_ = nullptr; }
  ~Slot() {
    if (l_) l_->release(tenant_);
  }

 private:
  Limiter* l_;
  std::string tenant_;
};

// Makes "the tenant has fewer sessions than its cap" and the create that follows one step. The
// engine lists a session while it is still being created, so with `pending` creates under way the
// tenant has between max(listed, pending) and listed + pending sessions: a create is admitted at
// once when even the upper bound leaves room, refused when the lower one is at the cap, and
// otherwise waits for the creates under way to finish, when the listed count is exact.
class SessionGate {
 public:
  class Pass {
   public:
    Pass(SessionGate* g, std::string tenant) : g_(g), tenant_(std::move(tenant)) {}
    Pass(Pass&& o) noexcept : g_(o.g_), tenant_(std::move(o.tenant_)) { o.g_ = nullptr; }
    ~Pass() {
      if (g_) g_->leave(tenant_);
    }

   private:
    SessionGate* g_;
    std::string tenant_;
  };
  // `listed` counts the tenant's sessions the engine knows of. Throws Busy when the cap is reached.
  Pass enter(const std::string& tenant, int cap, const std::function<int()>& listed);

 private:
  void leave(const std::string& tenant);
  uint64_t finished();
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> pending_;
  uint64_t finished_ = 0;  // creates that ended, any tenant
};

}  // namespace orch::server
