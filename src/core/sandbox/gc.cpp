#include "core/sandbox/gc.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "core/sandbox/spec.hpp"
#include "core/util/random.hpp"

namespace orch::sandbox {

bool owner_alive(const std::string& pid_label) {
  auto colon = pid_label.rfind(':');
  if (colon == std::string::npos) return false;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  if (pid_label.substr(0, colon) != host) return true;  // another host's process: not ours to judge
  long pid = std::strtol(pid_label.c_str() + colon + 1, nullptr, 10);
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

GcReport collect_garbage(docker::Client& client, const GcOptions& opts) {
  GcReport report;
  int64_t now = unix_now();
  for (const auto& c : client.list_containers({std::string(kLabelManaged) + "=1"})) {
    const auto& labels = c.value("Labels", nlohmann::json::object());
    std::string kind = labels.value(kLabelKind, "");
    std::string name = c.value("Names", nlohmann::json::array({""}))[0].get<std::string>();
    if (!name.empty() && name[0] == '/') name = name.substr(1);
    bool remove = opts.all;
    if (!remove) {
      if (kind == "session" || kind == "service") {
        auto exp = expiry_of(c);  // the name's live expiry: `orch session extend` moves it
        remove = exp && *exp <= now;
      } else {
        remove = !owner_alive(labels.value(kLabelPid, ""));
      }
    }
    if (!remove) {
      report.kept.push_back(name);
      continue;
    }
    if (!opts.dry_run) client.remove(c.value("Id", ""));
    report.removed.push_back(name);
  }
  for (const auto& n : client.list_networks({std::string(kLabelManaged) + "=1"})) {
    const auto& containers = n.value("Containers", nlohmann::json::object());
    if (!containers.empty() && !opts.all) continue;
    std::string name = n.value("Name", "");
    if (!opts.dry_run) {
      try {
        client.remove_network(n.value("Id", ""));
      } catch (const std::exception&) {
        continue;  // still in use by a container being created
      }
    }
    report.networks_removed.push_back(name);
  }
  return report;
}

}  // namespace orch::sandbox
