#pragma once
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

}  // namespace orch::server
