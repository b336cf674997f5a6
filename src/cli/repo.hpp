#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace orch::cli {

// Flags of `orch repo test`, filled by CLI11.
struct RepoTestFlags {
  std::vector<std::string> sources;
  std::string ref, cmd, tmpl, setup, max_size, memory, workspace, runtime, junit;
  std::string token_env = "GITHUB_TOKEN";
  std::vector<std::string> env;
  int jobs = 2;
  double timeout = 0, clone_timeout = 0, cpus = 0;
  bool setup_net = false, submodules = false, json = false, verbose = false;
  CLI::App* cmd_app = nullptr;
};

void add_test_command(CLI::App& app, RepoTestFlags& f);
int run_test_command(const RepoTestFlags& f);

}  // namespace orch::cli
