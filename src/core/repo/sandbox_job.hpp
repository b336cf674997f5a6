#pragma once
#include <string>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/repo/test.hpp"
#include "core/sandbox/run.hpp"

namespace orch::repo {

// One sandbox run of a repository job: the input tar (paths under src/) is unpacked into
// /workspace, then the setup and/or test command run in /workspace/src.
struct JobRun {
  std::string template_name;
  std::string input_tar;
  std::string setup;          // "" = none
  std::string test;           // "" = none
  bool save_workspace = false;  // return /workspace (minus out/) as the artifact .orch-workspace.tar
  std::string network = "none";
  double timeout_s = 600;
};

struct JobResult {
  sandbox::RunResult run;
  int setup_rc = -1;  // -1 = did not run or did not finish
  int test_rc = -1;
  const sandbox::Artifact* artifact(const std::string& path) const;
};

// Sizes the sandbox from the options and the input, runs it, and streams output to `progress`.
JobResult run_job(engine::Engine& engine, const templates::Store& store, const TestOptions& opts, const JobRun& job,
                  const std::string& source, ProgressObserver& progress);

// The boot script: $1 setup, $2 test, $3 "save" or "".
std::string job_script();

}  // namespace orch::repo
