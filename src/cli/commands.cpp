#include "cli/commands.hpp"

namespace orch::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"run", "run code once in a fresh sandbox", run_main},
      {"templates", "list, show and build sandbox environments", templates_main},
      {"pricing", "GPU and CPU instance prices across clouds: refresh, ls, cheapest, watch", pricing_main},
      {"gc", "remove sandboxes that orch left behind", gc_main},
      {"version", "print orch's version and the engine's", version_main},
  };
  return table;
}

}  // namespace orch::cli
