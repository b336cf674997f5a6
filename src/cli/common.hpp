#pragma once
#include <atomic>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace orch::cli {

// Set by SIGINT/SIGTERM; long operations poll it and clean up.
extern std::atomic<int> g_interrupted;
void install_signal_handlers();

// Parses a subcommand's flags; prints help or a usage error and returns an exit code when parsing ends the command.
// Returns -1 when the command should go on.
int parse(CLI::App& app, int argc, char** argv, int usage_exit = 2);

// Everything after the first "--" (for the program, never parsed as orch's options); argc is cut before it.
std::vector<std::string> split_passthrough(int& argc, char** argv);

// --backend docker|kubernetes: the same as ORCH_BACKEND, for this command.
void add_backend_option(CLI::App& app);

// An error as the CLI words it: a request field the core names ("memory") becomes the flag that
// sets it ("--memory"), through one table.
std::string error_text(const Error& e);

void print_json(const nlohmann::json& j);
std::string read_file_or_throw(const std::string& path, const std::string& what);
bool stdout_is_tty();
bool stderr_is_tty();

}  // namespace orch::cli
