#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

namespace orch::cli {

// What a command accepts, read from its CLI11 parser: completions and the man page are generated from it.
struct OptionSpec {
  std::vector<std::string> names;  // "-c", "--code"
  std::string value;               // value placeholder ("TEXT", "FLOAT"); empty for a flag
  std::string help;
  bool greedy = false;  // one occurrence swallows several words (never true after prepare_app)
};

struct CommandSpec {
  std::string path;  // "session exec" (without "orch"); empty for orch itself
  std::string summary;
  std::vector<OptionSpec> options;
  std::vector<std::string> positionals;  // "source", "ids..."
  std::vector<CommandSpec> subs;
  const Command* row = nullptr;  // the table row with env and examples, when there is one
};

// Every command, built by running each command's parser in describe mode (nothing else runs).
CommandSpec describe_all();

// Called by parse() before parsing: names the usage "orch ...", adds the table's examples and environment to
// the help, and makes repeatable options take one value per occurrence. Returns true in describe mode, when
// the app was recorded and the command must stop.
bool prepare_app(CLI::App& app);

// "--timout" -> " (did you mean '--timeout'?)" from the options the app and its parsed subcommands know.
std::string suggest_option(CLI::App& app, const std::string& arg);

}  // namespace orch::cli
