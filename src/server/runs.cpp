#include "server/runs.hpp"

#include <map>

#include <algorithm>
#include <limits>

#include "core/sandbox/result_json.hpp"
#include "core/util/random.hpp"
#include "core/util/shown.hpp"
#include "server/runner.hpp"

namespace orch::server {

using nlohmann::json;

RunRecord::RunRecord(std::string id_, std::string tenant_, std::string kind_, json meta_)
    : id(std::move(id_)), tenant(std::move(tenant_)), kind(std::move(kind_)), meta(std::move(meta_)), created(unix_now()) {}

void RunRecord::append(bool is_stderr, std::string_view d) {
  std::lock_guard<std::mutex> lock(mu_);
  if (log_bytes_ >= kLogCap) {
    log_truncated_ = true;
    return;
  }
  if (d.size() > kLogCap - log_bytes_) {
    d = d.substr(0, kLogCap - log_bytes_);
    log_truncated_ = true;
  }
  log_bytes_ += d.size();
  log_.push_back(OutputChunk{is_stderr, std::string(d)});
  cv_.notify_all();
}

void RunRecord::finish(std::shared_ptr<const sandbox::RunResult> r) {
  std::lock_guard<std::mutex> lock(mu_);
  result_bytes_ = payload_size(*r);
  result_ = std::move(r);
  state_ = "done";
  finished_ = unix_now();
  cv_.notify_all();
}

size_t RunRecord::held_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_bytes_ + result_bytes_;
}

void RunRecord::fail(ErrorKind kind, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  error_ = {{"code", kind_name(kind)}, {"message", message}};
  state_ = "failed";
  finished_ = unix_now();
  cv_.notify_all();
}

bool RunRecord::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_ == "running";
}

std::shared_ptr<const sandbox::RunResult> RunRecord::result() const {
  std::lock_guard<std::mutex> lock(mu_);
  return result_;
}

json RunRecord::to_json() const {
  std::lock_guard<std::mutex> lock(mu_);
  json j = meta;
  j["run_id"] = id;
  j["kind"] = kind;
  j["state"] = state_;
  j["created"] = created;
  j["cancel_requested"] = cancel_.load();
  if (finished_) j["finished"] = finished_;
  if (result_) j["result"] = sandbox::to_json(*result_, true);
  if (!error_.is_null()) j["error"] = error_;
  return j;
}

json RunRecord::logs_json() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out, err;
  for (const auto& c : log_) (c.is_stderr ? err : out) += c.data;
  JsonTree t;
  t.begin_object();
  json_fields(t, {{"run_id", id}, {"state", state_}, {"truncated", log_truncated_}});
  sandbox::emit_output(t, out, err);
  t.end();
  return t.take();
}

std::vector<OutputChunk> RunRecord::wait_output(size_t from, std::chrono::milliseconds wait, bool& ended) const {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, wait, [&] { return log_.size() > from || state_ != "running"; });
  ended = state_ != "running";
  if (log_.size() <= from) return {};
  return std::vector<OutputChunk>(log_.begin() + static_cast<long>(from), log_.end());
}

std::shared_ptr<RunRecord> RunRegistry::add(const std::string& id, const std::string& tenant, const std::string& kind, json meta) {
  auto rec = std::make_shared<RunRecord>(id, tenant, kind, std::move(meta));
  std::lock_guard<std::mutex> lock(mu_);
  runs_[id] = rec;
  size_t held = 0, answered = 0;
  for (const auto& [_, r] : runs_)
    if (!r->running()) {
      size_t bytes = r->held_bytes();
      held += bytes;
      if (r->is_answered_in_place()) answered += bytes;
    }
  const size_t room = room_ ? room_() : std::numeric_limits<size_t>::max();
  // Forget the oldest finished runs (only those answered in place when they alone are over their
  // room); running ones always stay. Over the count or the bytes, the runs forgotten are those of the
  // tenant holding the most (by bytes when bytes are over), so one tenant's traffic cannot push out
  // another's results before it reads them.
  for (;;) {
    bool over_bytes = held > keep_bytes_;
    bool any = runs_.size() > kKeep || over_bytes;
    if (!any && answered <= room) break;
    std::map<std::string, size_t> weight;  // tenant -> its finished runs (or their bytes)
    if (any)
      for (const auto& [_, r] : runs_)
        if (!r->running()) weight[r->tenant] += over_bytes ? r->held_bytes() : 1;
    std::string heaviest;
    size_t most = 0;
    for (const auto& [tenant, w] : weight)
      if (w > most) most = w, heaviest = tenant;
    auto oldest = runs_.end();
    for (auto it = runs_.begin(); it != runs_.end(); ++it)
      if (!it->second->running() && (any ? it->second->tenant == heaviest : it->second->is_answered_in_place()) &&
          (oldest == runs_.end() || it->second->created < oldest->second->created))
        oldest = it;
    if (oldest == runs_.end()) break;
    size_t bytes = oldest->second->held_bytes();
    held -= std::min(held, bytes);
    if (oldest->second->is_answered_in_place()) answered -= std::min(answered, bytes);
    runs_.erase(oldest);
  }
  return rec;
}

std::shared_ptr<RunRecord> RunRegistry::get(const std::string& id, const std::string& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(id);
  if (it == runs_.end() || it->second->tenant != tenant)
    throw Error(ErrorKind::NotFound,
                "no run '" + shown(id, 100) + "' (runs are kept while they run; after, the last " + std::to_string(kKeep) + " within " +
                    std::to_string(std::max<size_t>(1, keep_bytes_ >> 20)) +
                    " MiB of output, the busiest tenant's oldest forgotten first; GET /v1/runs may still list its summary)");
  return it->second;
}

std::vector<std::shared_ptr<RunRecord>> RunRegistry::find(const std::string& tenant, const std::string& key,
                                                          const std::string& value) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<RunRecord>> out;
  for (const auto& [_, r] : runs_)
    if (r->tenant == tenant && r->meta.value(key, json()) == value) out.push_back(r);
  return out;
}

void RecordingObserver::on_output(bool is_stderr, std::string_view data) {
  record_->append(is_stderr, data);
  if (inner_) inner_->on_output(is_stderr, data);
}

bool ClientWatch::gone() {
  auto now = std::chrono::steady_clock::now();
  if (!client_gone_ || now < next_check_) return false;
  next_check_ = now + std::chrono::milliseconds(500);
  return client_gone_();
}

bool RecordingObserver::cancelled() {
  return record_->cancel_requested() || cancel_all_ || (inner_ && inner_->cancelled()) || client_.gone();
}

}  // namespace orch::server
