#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/util/suggest.hpp"
#include "version.hpp"

namespace {

void print_help() {
  std::cout << "orch " << ORCH_VERSION << ": run untrusted code in Docker sandboxes\n\n"
            << "Usage: orch COMMAND [OPTIONS]\n\nCommands:\n";
  for (const auto& c : orch::cli::commands()) {
    std::string name = c.name;
    name.resize(12, ' ');
    std::cout << "  " << name << c.summary << "\n";
  }
  std::cout << "\nRun 'orch COMMAND --help' for a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    if (argc >= 3 && !std::strcmp(argv[1], "help")) {
      std::vector<char*> args = {argv[2], const_cast<char*>("--help")};
      for (const auto& c : orch::cli::commands())
        if (!std::strcmp(c.name, argv[2])) return c.main(2, args.data());
    }
    print_help();
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "-V")) {
    std::cout << "orch " << ORCH_VERSION << "\n";
    return 0;
  }
  std::vector<std::string> names;
  for (const auto& c : orch::cli::commands()) {
    if (!std::strcmp(c.name, argv[1])) {
      try {
        return c.main(argc - 1, argv + 1);
      } catch (const orch::Error& e) {
        std::cerr << "orch: error: " << e.what() << "\n";
        return orch::exit_code_for(e.kind());
      } catch (const std::exception& e) {
        std::cerr << "orch: error: internal: " << e.what() << "\n";
        return 125;
      }
    }
    names.push_back(c.name);
  }
  std::cerr << "orch: error: unknown command '" << argv[1] << "'" << orch::did_you_mean(argv[1], names)
            << "\nRun 'orch help' for the list of commands.\n";
  return 2;
}
