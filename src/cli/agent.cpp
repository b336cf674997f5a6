#include "core/agent/agent.hpp"
#include "cli/commands.hpp"

namespace orch::cli {

// Not for people: the host starts it inside a session's container (see core/agent/agent.hpp).
int agent_main(int argc, char**) {
  if (argc != 1) return 2;
  return agent::run();
}

}  // namespace orch::cli
