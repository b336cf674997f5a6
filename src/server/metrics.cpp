#include "server/metrics.hpp"

#include <algorithm>

#include <cmath>
#include <cstdio>

namespace orch::server {

namespace {

void header(std::string& o, const std::string& name, const char* type, const std::string& help) {
  o += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& o, const std::string& name, const std::string& labels, double v) {
  o += name + labels + " " + format_value(v) + "\n";
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out;
}

std::string label(const char* k, const std::string& v) { return std::string(k) + "=\"" + escape(v) + "\""; }

// {labels}, appended: GCC 12 warns falsely (-Wrestrict, PR 105329) on "literal" + a temporary string.
std::string braced(const std::string& labels) { return std::string("{").append(labels).append("}"); }

}  // namespace

std::string format_value(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

void Histogram::observe(double s) {
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (s <= kBuckets[i]) ++counts_[i];
  sum_ += s;
  ++count_;
}

void Histogram::write(std::string& o, const std::string& name, const std::string& labels) const {
  std::string sep = labels.empty() ? "" : labels + ",";
  for (size_t i = 0; i < kBuckets.size(); ++i)
    sample(o, name + "_bucket", "{" + sep + label("le", format_value(kBuckets[i])) + "}", static_cast<double>(counts_[i]));
  sample(o, name + "_bucket", "{" + sep + "le=\"+Inf\"}", static_cast<double>(count_));
  std::string plain = labels.empty() ? "" : "{" + labels + "}";
  sample(o, name + "_sum", plain, sum_);
  sample(o, name + "_count", plain, static_cast<double>(count_));
}

void Metrics::record_request(const std::string& method, const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{method, route, status}];
  request_seconds_[{method, route}].observe(seconds);
}

void Metrics::record_run(const RecentRun& run) {
  std::lock_guard<std::mutex> lock(mu_);
  ++runs_by_status_[run.status];
  run_seconds_.observe(static_cast<double>(run.duration_ms) / 1000.0);
  recent_.push_front(run);
  // The last 50 of each tenant: another tenant's traffic does not push a tenant's out of GET /v1/runs.
  if (std::count_if(recent_.begin(), recent_.end(), [&](const RecentRun& r) { return r.tenant == run.tenant; }) > 50)
    recent_.erase(std::find_if(recent_.rbegin(), recent_.rend(), [&](const RecentRun& r) { return r.tenant == run.tenant; }).base() - 1);
}

void Metrics::record_pool(bool hit) {
  std::lock_guard<std::mutex> lock(mu_);
  ++(hit ? pool_hits_ : pool_misses_);
}

void Metrics::record_session(const std::string& event, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_[event] += n;
}

void Metrics::record_exec(const std::string& status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++execs_[status];
  exec_seconds_.observe(seconds);
}

uint64_t Metrics::session_events(const std::string& event) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(event);
  return it == sessions_.end() ? 0 : it->second;
}

uint64_t Metrics::exec_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (const auto& [_, c] : execs_) n += c;
  return n;
}

void Metrics::record_job(const std::string& status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++jobs_[status];
}

std::string Metrics::prometheus(const std::vector<Family>& scraped) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string o;
  header(o, "orch_http_requests_total", "counter", "HTTP requests by method, route template and status code.");
  for (const auto& [k, n] : requests_) {
    const auto& [method, route, code] = k;
    sample(o, "orch_http_requests_total",
           braced(label("method", method) + "," + label("route", route) + "," + label("code", std::to_string(code))),
           static_cast<double>(n));
  }
  header(o, "orch_http_request_duration_seconds", "histogram", "Time from routing a request to its answer, by method and route template.");
  for (const auto& [k, h] : request_seconds_) h.write(o, "orch_http_request_duration_seconds", label("method", k.first) + "," + label("route", k.second));
  header(o, "orch_runs_total", "counter", "One-shot runs by final status.");
  for (const char* s : {"ok", "error", "timeout", "oom", "killed"})
    sample(o, "orch_runs_total", braced(label("status", s)), static_cast<double>(runs_by_status_.count(s) ? runs_by_status_.at(s) : 0));
  header(o, "orch_run_duration_seconds", "histogram", "Wall time of one-shot runs.");
  run_seconds_.write(o, "orch_run_duration_seconds", "");
  header(o, "orch_pool_requests_total", "counter", "Runs that found a warm sandbox (hit) or not (miss).");
  sample(o, "orch_pool_requests_total", "{result=\"hit\"}", static_cast<double>(pool_hits_));
  sample(o, "orch_pool_requests_total", "{result=\"miss\"}", static_cast<double>(pool_misses_));
  header(o, "orch_sessions_total", "counter", "Session lifecycle events: created, deleted (by a request), expired (removed after their TTL).");
  for (const char* e : {"created", "deleted", "expired"})
    sample(o, "orch_sessions_total", braced(label("event", e)), static_cast<double>(sessions_.count(e) ? sessions_.at(e) : 0));
  header(o, "orch_session_execs_total", "counter", "Code executions in sessions by result status.");
  for (const auto& [status, n] : execs_) sample(o, "orch_session_execs_total", braced(label("status", status)), static_cast<double>(n));
  header(o, "orch_session_exec_duration_seconds", "histogram", "Wall time of code executions in sessions.");
  exec_seconds_.write(o, "orch_session_exec_duration_seconds", "");
  header(o, "orch_jobs_total", "counter", "Repository test jobs: started, and finished as done or failed.");
  for (const char* s : {"started", "done", "failed"})
    sample(o, "orch_jobs_total", braced(label("status", s)), static_cast<double>(jobs_.count(s) ? jobs_.at(s) : 0));
  for (const auto& f : scraped) {
    header(o, f.name, f.type.c_str(), f.help);
    for (const auto& [labels, v] : f.samples) sample(o, f.name, labels, v);
  }
  return o;
}

nlohmann::json Metrics::recent_runs(const std::optional<std::string>& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : recent_) {
    if (tenant && r.tenant != *tenant) continue;
    arr.push_back({{"run_id", r.run_id}, {"tenant", r.tenant}, {"template", r.template_name}, {"status", r.status},
                   {"exit_code", r.exit_code}, {"duration_ms", r.duration_ms}, {"finished_at", r.finished_at},
                   {"pooled", r.pooled}});
  }
  return arr;
}

}  // namespace orch::server
