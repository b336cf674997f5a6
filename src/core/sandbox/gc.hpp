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

// True when the orch.pid label names a process on this host that is still alive.
bool owner_alive(const std::string& pid_label);

}  // namespace orch::sandbox
