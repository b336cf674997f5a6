#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/docker/client.hpp"
#include "core/engine/engine.hpp"

namespace orch::engine {

// One change a Docker engine reported: a container (created, started, stopped, renamed, removed...)
// with its labels, or a volume.
struct EngineChange {
  bool volume = false;
  std::string id;     // container id or volume name
  Labels attributes;  // a container's labels, name and image
};

// Follows a Docker engine's event stream on a thread of its own and hands each change on. The
// stream is reopened when it ends; `reset` is called whenever it opens or is lost, since changes
// may have gone unseen meanwhile, and live() says whether it is open now.
class ChangeFeed {
 public:
  ChangeFeed(docker::Client& client, std::function<void(const EngineChange&)> on_change, std::function<void()> reset);
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  bool live() const { return live_; }

 private:
  void loop();
  void follow_once();
  void line(std::string_view json_line);

  docker::Client& client_;
  std::function<void(const EngineChange&)> on_change_;
  std::function<void()> reset_;
  std::atomic<bool> live_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Listings kept by what they matched (labels), until a change could alter them: something with
// labels they match appeared or changed, or something they hold changed or went. A listing fetched
// while a change that concerns it arrived is not kept. Bounded, since match labels come from requests.
template <class Item>
class ListingMemo {
 public:
  using Items = std::vector<Item>;
  using Stale = std::function<bool(const Labels& match, const Items& items)>;

  Items get(const Labels& match, bool keep, const std::function<Items()>& fetch) {
    uint64_t seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (keep) {
        auto it = kept_.find(match);
        if (it != kept_.end()) return it->second;
      }
      seen = epoch_;
    }
    Items fresh = fetch();
    std::lock_guard<std::mutex> lock(mu_);
    if (keep && still_fresh(seen, match, fresh)) {
      if (kept_.size() >= kMaxKept) kept_.clear();
      kept_[match] = fresh;
    }
    return fresh;
  }
  // Something with these labels appeared or changed.
  void drop_matching(const Labels& labels) {
    drop_if([labels](const Labels& match, const Items&) {
      for (const auto& [k, v] : match) {
        auto it = labels.find(k);
        if (it == labels.end() || it->second != v) return false;
      }
      return true;
    });
  }
  // An item this predicate picks changed or went.
  void drop_holding(const std::function<bool(const Item&)>& is_it) {
    drop_if([is_it](const Labels&, const Items& items) { return std::any_of(items.begin(), items.end(), is_it); });
  }
  void drop_all() {
    drop_if([](const Labels&, const Items&) { return true; });
  }

 private:
  void drop_if(Stale stale) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = kept_.begin(); it != kept_.end();) it = stale(it->first, it->second) ? kept_.erase(it) : std::next(it);
    recent_.emplace_back(++epoch_, std::move(stale));
    if (recent_.size() > kRecent) recent_.pop_front();
  }
  // No change since `seen` concerns this listing (a fetch in flight may have missed it).
  bool still_fresh(uint64_t seen, const Labels& match, const Items& items) const {
    if (epoch_ - seen > recent_.size()) return false;  // more changes than remembered
    for (const auto& [epoch, stale] : recent_)
      if (epoch > seen && stale(match, items)) return false;
    return true;
  }

  static constexpr size_t kMaxKept = 256;
  static constexpr size_t kRecent = 256;
  std::mutex mu_;
  uint64_t epoch_ = 0;
  std::map<Labels, Items> kept_;
  std::deque<std::pair<uint64_t, Stale>> recent_;
};

}  // namespace orch::engine
