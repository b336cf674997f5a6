#include "server/metrics.hpp"

#include <sstream>

namespace orch::server {

void Metrics::record_request(int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_by_code_[status];
}

void Metrics::record_run(const RecentRun& run) {
  std::lock_guard<std::mutex> lock(mu_);
  ++runs_by_status_[run.status];
  double s = static_cast<double>(run.duration_ms) / 1000.0;
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (s <= kBuckets[i]) ++duration_buckets_[i];
  duration_sum_s_ += s;
  ++duration_count_;
  recent_.push_front(run);
  if (recent_.size() > 50) recent_.pop_back();
}

void Metrics::record_pool(bool hit) {
  std::lock_guard<std::mutex> lock(mu_);
  ++(hit ? pool_hits_ : pool_misses_);
}

std::string Metrics::prometheus(const std::map<std::string, double>& gauges) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream o;
  o << "# HELP orch_http_requests_total HTTP requests by status code.\n# TYPE orch_http_requests_total counter\n";
  for (const auto& [code, n] : requests_by_code_) o << "orch_http_requests_total{code=\"" << code << "\"} " << n << "\n";
  o << "# HELP orch_runs_total One-shot runs by final status.\n# TYPE orch_runs_total counter\n";
  for (const char* s : {"ok", "error", "timeout", "oom", "killed"})
    o << "orch_runs_total{status=\"" << s << "\"} " << (runs_by_status_.count(s) ? runs_by_status_.at(s) : 0) << "\n";
  o << "# HELP orch_run_duration_seconds Wall time of one-shot runs.\n# TYPE orch_run_duration_seconds histogram\n";
  for (size_t i = 0; i < kBuckets.size(); ++i)
    o << "orch_run_duration_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << duration_buckets_[i] << "\n";
  o << "orch_run_duration_seconds_bucket{le=\"+Inf\"} " << duration_count_ << "\n"
    << "orch_run_duration_seconds_sum " << duration_sum_s_ << "\n"
    << "orch_run_duration_seconds_count " << duration_count_ << "\n";
  o << "# HELP orch_pool_requests_total Runs that found a warm sandbox (hit) or not (miss).\n"
    << "# TYPE orch_pool_requests_total counter\n"
    << "orch_pool_requests_total{result=\"hit\"} " << pool_hits_ << "\n"
    << "orch_pool_requests_total{result=\"miss\"} " << pool_misses_ << "\n";
  std::string last_base;
  for (const auto& [name, v] : gauges) {  // sorted, so samples of one metric are adjacent
    std::string base = name.substr(0, name.find('{'));
    if (base != last_base) o << "# TYPE " << base << " gauge\n";
    last_base = base;
    o << name << " " << v << "\n";
  }
  return o.str();
}

nlohmann::json Metrics::recent_runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : recent_)
    arr.push_back({{"run_id", r.run_id}, {"tenant", r.tenant}, {"template", r.template_name}, {"status", r.status},
                   {"exit_code", r.exit_code}, {"duration_ms", r.duration_ms}, {"finished_at", r.finished_at},
                   {"pooled", r.pooled}});
  return arr;
}

}  // namespace orch::server
