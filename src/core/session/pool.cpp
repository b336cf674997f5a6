#include "core/session/pool.hpp"

#include "core/error.hpp"
#include "core/sandbox/spec.hpp"
#include "core/session/boot.hpp"
#include "core/util/random.hpp"

namespace orch::session {

using nlohmann::json;
namespace sb = sandbox;

namespace {
constexpr int64_t kPoolLifetime = 3600;  // an unclaimed session's expiry; replaced before it comes
constexpr int64_t kMinLeft = 600;
}  // namespace

SessionPool::SessionPool(Manager& m, std::map<PoolKey, int> targets) : m_(m), targets_(std::move(targets)) {
  thread_ = std::thread([this] { loop(); });
}

SessionPool::~SessionPool() { stop(); }

void SessionPool::later(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  chores_.push_back(std::move(fn));
  cv_.notify_all();
}

void SessionPool::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    while (!chores_.empty()) {
      auto fn = std::move(chores_.front());
      chores_.pop_front();
      lock.unlock();
      try {
        fn();
      } catch (const std::exception&) {
        // the session went away meanwhile
      }
      lock.lock();
    }
    const PoolKey* want = nullptr;
    for (const auto& [key, n] : targets_)
      if (static_cast<int>(ready_[key].size()) < n) want = &key;
    if (!want) {
      cv_.wait_for(lock, std::chrono::seconds(30), [this] { return stop_ || !chores_.empty(); });
      // Sessions near their pool expiry are replaced.
      for (auto& [key, q] : ready_)
        while (!q.empty() && q.front().record.expires - unix_now() < kMinLeft) {
          auto old = std::move(q.front());
          q.pop_front();
          lock.unlock();
          m_.remove_record(old.record);
          lock.lock();
        }
      continue;
    }
    PoolKey key = *want;
    lock.unlock();
    std::optional<Manager::Launched> made;
    std::string error;
    try {
      CreateOptions o;
      o.template_name = key.template_name;
      o.home = key.home;
      o.owner = "pool";
      o.ttl_s = kPoolLifetime;
      made = m_.launch(o, m_.store_.get(key.template_name), true);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    if (made) {
      if (stop_) {
        lock.unlock();
        m_.remove_record(made->record);
        lock.lock();
        break;
      }
      ready_[key].push_back(std::move(*made));
      last_error_.erase(key);
    } else {
      last_error_[key] = error;
      cv_.wait_for(lock, std::chrono::seconds(5), [this] { return stop_ || !chores_.empty(); });
    }
  }
}

std::optional<Manager::Launched> SessionPool::take(const PoolKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ready_.find(key);
  while (it != ready_.end() && !it->second.empty()) {
    auto l = std::move(it->second.front());
    it->second.pop_front();
    cv_.notify_all();
    if (l.record.expires - unix_now() >= kMinLeft && l.supervisor && l.supervisor->quiet()) return l;
    // Near its pool expiry, or ending (its supervisor spoke): removed on the pool's thread rather
    // than left to run unlisted until that expiry, or stopped for good.
    chores_.push_back([this, record = std::move(l.record)] { m_.remove_record(record); });
  }
  return std::nullopt;
}

json SessionPool::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  json out = json::object();
  for (const auto& [key, n] : targets_) {
    auto it = ready_.find(key);
    json s = {{"ready", it == ready_.end() ? 0 : it->second.size()}, {"target", n}, {"home", key.home}};
    if (auto e = last_error_.find(key); e != last_error_.end()) s["error"] = e->second;
    out[key.template_name + (key.home == "/workspace" ? "" : ":" + key.home)] = s;
  }
  return out;
}

void SessionPool::stop() {
  std::map<PoolKey, std::deque<Manager::Launched>> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    left.swap(ready_);
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  for (auto& fn : chores_) {
    try {
      fn();
    } catch (const std::exception&) {
    }
  }
  chores_.clear();
  for (auto& [key, q] : left)
    for (auto& l : q) {
      try {
        m_.remove_record(l.record);
      } catch (const std::exception&) {
        // `orch gc` removes it once this server is gone
      }
    }
}

void Manager::start_pool(const std::map<PoolKey, int>& targets) {
  for (const auto& [key, n] : targets) {
    store_.get(key.template_name);
    if (key.home != "/workspace" && key.home.rfind("/home/", 0) != 0)
      throw Error(ErrorKind::BadInput, "a pool's home must be /workspace or /home/NAME");
  }
  pool_ = std::make_unique<SessionPool>(*this, targets);
}

json Manager::pool_state() const { return pool_ ? pool_->state() : json::object(); }

void Manager::stop_pool() {
  if (pool_) pool_->stop();
}

std::optional<Record> Manager::claim_pooled(const CreateOptions& o) {
  if (!pool_ || !o.name.empty() || o.network != "none" || o.memory_bytes || o.cpus) return std::nullopt;
  auto l = pool_->take(PoolKey{o.template_name, o.home});
  if (!l) return std::nullopt;
  Record r = std::move(l->record);
  int64_t now = unix_now();
  int64_t expires = now + o.ttl_s;
  engine::Labels claim = {{sb::kLabelManaged, "1"},
                          {sb::kLabelKind, "claim"},
                          {sb::kLabelId, r.id},
                          {sb::kLabelOwner, o.owner},
                          {sb::kLabelCreated, std::to_string(now)},
                          {sb::kLabelExpires, std::to_string(expires)}};
  for (const auto& [k, v] : o.labels) claim[k] = v;
  for (const auto& [k, v] : o.attributes) claim[kLabelAttrPrefix + k] = v;
  if (!o.env.empty()) claim[kLabelEnv] = json(o.env).dump();
  try {
    engine_.create_record(claim_record_name(r.id), claim);
    l->supervisor->write("expires " + std::to_string(expires) + "\n");
    l->supervisor->close_stdin();
  } catch (const std::exception&) {
    try {
      remove_record(r);
    } catch (const std::exception&) {
      // gc finds it: its pool's server is gone or its claim is incomplete
    }
    return std::nullopt;  // made fresh instead
  }
  r.owner = o.owner;
  r.labels = o.labels;
  r.attributes = o.attributes;
  r.env = o.env;
  r.created = now;
  r.expires = expires;
  // The engine's expiry (Docker: the container's name) costs tens of ms to move on a busy engine,
  // so it moves after the claim answers; until then the claim's label says it.
  r.pooled = true;
  pool_->later([this, cid = r.container_id, expires] { engine_.set_expiry(cid, expires); });
  Target t = target_of(r);
  {
    std::lock_guard<std::mutex> lock(mu_);
    known_[r.id] = t;
  }
  if (!o.env.empty()) {
    // The agent takes the environment now; the kernel started without it restarts with it on first use.
    try {
      agent_for(t, "")->call("setenv", {{"env", o.env}});
      const auto& tmpl = template_of(r.template_name);
      if (const auto* lang = tmpl.language(tmpl.default_language); lang && known_kernel(lang->kernel)) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          relays_.erase(r.id + "/" + lang->kernel);
        }
        kill_kernel(t, lang->kernel, tmpl.user);
      }
    } catch (const Error&) {
      // the first call reports a sandbox that went away
    }
  }
  return r;
}

void Manager::apply_claim(Record& r, const engine::Labels& claim, bool moved) const {
  auto value = [&claim](const char* key) {
    auto it = claim.find(key);
    return it == claim.end() ? std::string() : it->second;
  };
  r.owner = value(sb::kLabelOwner);
  r.created = std::strtoll(value(sb::kLabelCreated).c_str(), nullptr, 10);
  if (!moved) r.expires = std::strtoll(value(sb::kLabelExpires).c_str(), nullptr, 10);
  r.labels.clear();
  r.attributes.clear();
  r.env.clear();
  for (const auto& [k, v] : claim) {
    if (k.rfind("orch.", 0) != 0) r.labels[k] = v;
    else if (k.rfind(kLabelAttrPrefix, 0) == 0) r.attributes[k.substr(std::string(kLabelAttrPrefix).size())] = v;
  }
  json env = json::parse(value(kLabelEnv).empty() ? "{}" : value(kLabelEnv), nullptr, false);
  if (env.is_object())
    for (const auto& [k, v] : env.items())
      if (v.is_string()) r.env[k] = v.get<std::string>();
}

}  // namespace orch::session
