#include "cli/repo.hpp"

#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/error.hpp"

namespace orch::cli {

int repo_main(int argc, char** argv) {
  CLI::App app{"Test, analyze and scan git repositories; the untrusted checkout only ever runs inside a sandbox.", "repo"};
  app.require_subcommand(1);
  RepoTestFlags tf;
  add_test_command(app, tf);
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  if (tf.cmd_app->parsed()) return run_test_command(tf);
  return 2;
}

}  // namespace orch::cli
