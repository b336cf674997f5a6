#include <cstring>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/error.hpp"
#include "version.hpp"

int main(int argc, char** argv) {
  if (argc == 2 && (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "-v") || !std::strcmp(argv[1], "-V"))) {
    std::cout << "orch " << ORCH_VERSION << "\n";
    return 0;
  }
  // The in-sandbox agent (and its installer): run by orch itself inside sandboxes, so not in the table.
  if (argc >= 2 && !std::strcmp(argv[1], "agent")) return orch::cli::agent_main(argc - 1, argv + 1);
  try {
    return orch::cli::dispatch(orch::cli::root_command(), "orch", argc, argv);
  } catch (const orch::Error& e) {
    std::cerr << "orch: error: " << orch::cli::error_text(e) << "\n";
    return orch::exit_code_for(e.kind());
  } catch (const std::exception& e) {
    std::cerr << "orch: error: internal: " << e.what() << "\n";
    return 125;
  }
}
