#pragma once
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace orch::server {

struct RecentRun {
  std::string run_id, tenant, template_name, status;
  int exit_code = 0;
  int64_t duration_ms = 0;
  int64_t finished_at = 0;
  bool pooled = false;
};

// Counters for /metrics (Prometheus text format) and the recent-runs list the dashboard shows.
class Metrics {
 public:
  void record_request(int status);
  void record_run(const RecentRun& run);
  void record_pool(bool hit);
  std::string prometheus(const std::map<std::string, double>& gauges) const;
  nlohmann::json recent_runs() const;

 private:
  mutable std::mutex mu_;
  std::map<int, uint64_t> requests_by_code_;
  std::map<std::string, uint64_t> runs_by_status_;
  std::vector<uint64_t> duration_buckets_ = std::vector<uint64_t>(kBuckets.size(), 0);
  double duration_sum_s_ = 0;
  uint64_t duration_count_ = 0;
  uint64_t pool_hits_ = 0, pool_misses_ = 0;
  std::deque<RecentRun> recent_;
  static inline const std::vector<double> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
};

}  // namespace orch::server
