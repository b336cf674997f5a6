#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/sandbox/gc.hpp"

namespace orch::cli {

int gc_main(int argc, char** argv) {
  CLI::App app{"Remove sandboxes orch left behind (labelled orch.managed=1).", "gc"};
  bool all = false, dry = false, as_json = false;
  app.add_flag("--all", all, "remove every orch sandbox, including ones a running orch still uses");
  app.add_flag("-n,--dry-run", dry, "only list what would be removed");
  app.add_flag("--json", as_json, "print JSON");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  auto engine = engine::engine_from_env();
  auto report = sandbox::collect_garbage(*engine, {all, dry});
  if (as_json) {
    print_json({{"removed", report.removed}, {"kept", report.kept}, {"networks_removed", report.networks_removed}, {"dry_run", dry}});
    return 0;
  }
  for (const auto& n : report.removed) std::cout << (dry ? "would remove " : "removed ") << n << "\n";
  for (const auto& n : report.networks_removed) std::cout << (dry ? "would remove network " : "removed network ") << n << "\n";
  std::cout << report.removed.size() << " sandboxes " << (dry ? "to remove" : "removed") << ", " << report.kept.size()
            << " in use\n";
  return 0;
}

}  // namespace orch::cli
