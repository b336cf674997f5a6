#include "cli/commands.hpp"

namespace orch::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"run", "run code once in a fresh sandbox", run_main},
      {"serve", "serve the HTTP API (runs, sessions, Piston-compatible) and the dashboard", serve_main},
      {"session", "persistent sandboxes: state, files, services, a TTL", session_main},
      {"templates", "list, show and build sandbox environments", templates_main},
      {"repo", "test, analyze and scan git repositories in sandboxes", repo_main},
      {"pricing", "GPU and CPU instance prices across clouds: refresh, ls, cheapest, watch", pricing_main},
      {"gc", "remove sandboxes that orch left behind", gc_main},
      {"version", "print orch's version and the engine's", version_main},
  };
  return table;
}

}  // namespace orch::cli
