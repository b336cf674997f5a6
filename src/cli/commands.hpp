#pragma once
#include <string>
#include <vector>

namespace orch::cli {

// One row per command: dispatch, `orch help`, "did you mean", completions and the man page come from this table.
struct Command {
  const char* name;
  const char* summary;
  int (*main)(int argc, char** argv);   // argv[0] is the command's name; null when `subs` dispatches
  std::vector<Command> subs;            // subcommands dispatched by this table (CLI11 subcommands are found by parsing)
  std::vector<const char*> env;         // environment variables the command reads (see env_vars())
  std::vector<const char*> examples;    // "orch ..." lines, each with a trailing "# what it does"
};

struct EnvVar {
  const char* name;
  const char* meaning;
};

// The row named "orch" whose subs are every command; dispatch(root_command(), "orch", argc, argv) is orch.
const Command& root_command();
const std::vector<Command>& commands();
const std::vector<EnvVar>& env_vars();

// Runs a command row: dispatches to a subcommand row, prints the list, or suggests a near name. `path` is
// "orch session" style, for messages.
int dispatch(const Command& c, const std::string& path, int argc, char** argv);

// The row for "session exec" style paths (without "orch"); null when the path names no row.
const Command* find_command(const std::string& path);

int run_main(int argc, char** argv);
int templates_main(int argc, char** argv);
int gc_main(int argc, char** argv);
int repo_main(int argc, char** argv);
int serve_main(int argc, char** argv);
int pricing_main(int argc, char** argv);
int version_main(int argc, char** argv);
int agent_main(int argc, char** argv);
int completion_main(int argc, char** argv);
int help_main(int argc, char** argv);

int session_create_main(int argc, char** argv);
int session_exec_main(int argc, char** argv);
int session_ls_main(int argc, char** argv);
int session_show_main(int argc, char** argv);
int session_rm_main(int argc, char** argv);
int session_gc_main(int argc, char** argv);
int session_extend_main(int argc, char** argv);
int session_upload_main(int argc, char** argv);
int session_download_main(int argc, char** argv);
int session_files_main(int argc, char** argv);
int session_service_main(int argc, char** argv);
int session_stats_main(int argc, char** argv);

}  // namespace orch::cli
