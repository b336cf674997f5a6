#pragma once
#include <memory>
#include <mutex>

#include "core/session/channel.hpp"
#include "core/session/manager.hpp"

namespace orch::session {

// What the Manager keeps per session between calls. One kernel's relay; `busy` keeps calls on one kernel in order (the kernel runs one at a
// time anyway).
struct Manager::Relay {
  std::mutex busy;
  std::unique_ptr<KernelChannel> channel;
};

// One agent's slot; `starting` keeps two callers from starting the same agent twice.
struct Manager::AgentSlot {
  std::mutex starting;
  std::shared_ptr<AgentLink> link;
};

}  // namespace orch::session
