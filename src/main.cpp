#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/error.hpp"
#include "core/util/shown.hpp"
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
    // json's type error 316: text bound for the engine or a server (an argument, a name) is not UTF-8.
    if (const auto* te = dynamic_cast<const nlohmann::json::type_error*>(&e); te && te->id == 316) {
      std::cerr << "orch: error: an argument, a name or an environment value is not valid UTF-8; orch passes text only\n";
      return 2;
    }
    std::cerr << "orch: error: internal: " << orch::terminal_safe(e.what()) << "\n";
    return 125;
  }
}
