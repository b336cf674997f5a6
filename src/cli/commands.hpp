#pragma once
#include <string>
#include <vector>

namespace orch::cli {

// One row per subcommand: `orch help` and "did you mean" come from this table.
struct Command {
  const char* name;
  const char* summary;
  int (*main)(int argc, char** argv);  // argv[0] is the subcommand's name
};

const std::vector<Command>& commands();

int run_main(int argc, char** argv);
int templates_main(int argc, char** argv);
int session_main(int argc, char** argv);
int gc_main(int argc, char** argv);
int repo_main(int argc, char** argv);
int serve_main(int argc, char** argv);
int pricing_main(int argc, char** argv);
int version_main(int argc, char** argv);

}  // namespace orch::cli
