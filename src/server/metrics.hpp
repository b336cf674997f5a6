#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
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

// One metric family read at scrape time (gauges, and counters kept elsewhere such as the pool's).
struct Family {
  std::string name, type, help;
  std::vector<std::pair<std::string, double>> samples;  // label set ("" or `{a="b"}`) -> value
};

// Cumulative histogram with fixed buckets, in seconds.
class Histogram {
 public:
  void observe(double seconds);
  void write(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  static inline const std::vector<double> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(kBuckets.size(), 0);
  double sum_ = 0;
  uint64_t count_ = 0;
};

// Counters and histograms for /metrics (Prometheus text format) and the recent-runs list the dashboard shows.
class Metrics {
 public:
  // `route` is the route's template (/v1/sessions/{id}), never the raw path, so label sets stay few.
  void record_request(const std::string& method, const std::string& route, int status, double seconds);
  void record_run(const RecentRun& run);
  void record_pool(bool hit);
  void record_session(const std::string& event, uint64_t n = 1);  // created | deleted | expired
  void record_exec(const std::string& status, double seconds);
  void record_job(const std::string& status);  // started | done | failed
  uint64_t session_events(const std::string& event) const;
  uint64_t exec_count() const;
  std::string prometheus(const std::vector<Family>& scraped) const;
  // The last runs, newest first; only `tenant`'s when given.
  nlohmann::json recent_runs(const std::optional<std::string>& tenant = std::nullopt) const;

 private:
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> request_seconds_;
  std::map<std::string, uint64_t> runs_by_status_;
  Histogram run_seconds_;
  uint64_t pool_hits_ = 0, pool_misses_ = 0;
  std::map<std::string, uint64_t> sessions_, execs_, jobs_;
  Histogram exec_seconds_;
  std::deque<RecentRun> recent_;
};

// process_* metrics of this process from /proc, named as Prometheus' client libraries name them.
std::vector<Family> process_families();

// A sample value as Prometheus reads it (integers without an exponent, +Inf).
std::string format_value(double v);

}  // namespace orch::server
