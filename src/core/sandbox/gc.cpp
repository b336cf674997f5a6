#include "core/sandbox/gc.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <set>

#include "core/sandbox/spec.hpp"
#include "core/util/random.hpp"

namespace orch::sandbox {

bool owner_alive(const std::string& pid_label) {
  auto colon = pid_label.rfind(':');
  if (colon == std::string::npos) return false;
  // Another host's process, or one in another pid namespace: not ours to judge.
  if (pid_label.substr(0, colon) != process_place()) return true;
  long pid = std::strtol(pid_label.c_str() + colon + 1, nullptr, 10);
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

bool network_is_garbage(const engine::NetworkInfo& n, int64_t now) {
  if (n.members > 0) return false;
  auto exp = n.labels.find(kLabelExpires);
  if (exp != n.labels.end() && std::strtoll(exp->second.c_str(), nullptr, 10) <= now) return true;
  // One made for a single sandbox (a Kubernetes egress policy) names its maker, who made the sandbox next.
  auto maker = n.labels.find(kLabelPid);
  if (maker != n.labels.end() && !owner_alive(maker->second)) return true;
  return !n.created || *n.created + kNetworkGraceSeconds <= now;
}

GcReport collect_garbage(engine::Engine& engine, const GcOptions& opts) {
  GcReport report;
  int64_t now = unix_now();
  // A pooled session's claim (a record with its owner, labels and expiry) makes it a session.
  std::map<std::string, int64_t> claim_expiry;
  auto claims = engine.list_records({{kLabelManaged, "1"}, {kLabelKind, "claim"}});
  for (const auto& [name, l] : claims) {
    auto id = l.find(kLabelId), exp = l.find(kLabelExpires);
    if (id != l.end()) claim_expiry[id->second] = exp == l.end() ? 0 : std::strtoll(exp->second.c_str(), nullptr, 10);
  }
  for (const auto& c : engine.list({{kLabelManaged, "1"}})) {
    auto label = [&c](const char* key) {
      auto it = c.labels.find(key);
      return it == c.labels.end() ? std::string() : it->second;
    };
    std::string kind = label(kLabelKind);
    bool remove = opts.all;
    if (!remove) {
      bool pooled = c.name.rfind("orch-pool-", 0) == 0;
      auto claim = claim_expiry.find(label(kLabelId));
      bool unclaimed = kind == "session" && pooled && claim == claim_expiry.end();
      if (kind == "session" && pooled && !unclaimed &&
          expiry_of(c) == std::optional<int64_t>(std::strtoll(label(kLabelExpires).c_str(), nullptr, 10))) {
        remove = claim->second <= now;  // claimed, its expiry not yet moved from the pool's
      } else if ((kind == "session" && !unclaimed) || kind == "service") {
        auto exp = expiry_of(c);  // the live expiry: `orch session extend` moves it
        remove = exp && *exp <= now;
      } else {
        remove = !owner_alive(label(kLabelPid));  // runs' sandboxes and a pool's never-claimed sessions: gone with their server
      }
    }
    if (!remove) {
      report.kept.push_back(c.name);
      continue;
    }
    if (!opts.dry_run) engine.remove(c.id);
    report.removed.push_back(c.name);
  }
  // A claim goes with its session.
  std::set<std::string> sessions;
  for (const auto& c : engine.list({{kLabelManaged, "1"}, {kLabelKind, "session"}})) {
    auto id = c.labels.find(kLabelId);
    if (id != c.labels.end()) sessions.insert(id->second);
  }
  for (const auto& [name, l] : claims) {
    auto id = l.find(kLabelId);
    if (id != l.end() && sessions.count(id->second) && !opts.all) continue;
    if (!opts.dry_run) engine.remove_record(name);
    report.removed.push_back(name);
  }
  for (const auto& n : engine.list_networks({{kLabelManaged, "1"}})) {
    if (!opts.all && !network_is_garbage(n, now)) continue;
    if (!opts.dry_run) {
      try {
        engine.remove_network(n.id);
      } catch (const std::exception&) {
        continue;  // still in use by a sandbox being created
      }
    }
    report.networks_removed.push_back(n.name);
  }
  return report;
}

}  // namespace orch::sandbox
