#pragma once
#include <string>
#include <vector>

#include "core/engine/engine.hpp"

namespace orch::sandbox {

struct GcOptions {
  bool all = false;      // every orch container, even those a live orch process still uses
  bool dry_run = false;
};

struct GcReport {
  std::vector<std::string> removed;  // container names
  std::vector<std::string> kept;
  std::vector<std::string> networks_removed;
};

// Removes what orch left behind: run and pool containers whose orch process is gone, sessions past
// their expiry, and orch networks no container uses.
GcReport collect_garbage(engine::Engine& engine, const GcOptions& opts);

// An unused network younger than this may be one whose sandbox is being created (the network comes
// first), so gc leaves it for a later pass, unless the expiry its session gave it has passed.
inline constexpr int64_t kNetworkGraceSeconds = 120;
bool network_is_garbage(const engine::NetworkInfo& n, int64_t now);

// False only when the orch.pid label names a process of this host and pid namespace that is gone.
bool owner_alive(const std::string& pid_label);

}  // namespace orch::sandbox
