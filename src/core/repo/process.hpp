#pragma once
#include <functional>
#include <string>
#include <vector>

namespace orch::repo {

// A host process orch starts itself (git only): explicit argv and environment, no shell, a deadline.
struct ProcessOptions {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // the whole environment, K=V; nothing is inherited
  std::string cwd;
  double timeout_s = 60;
  size_t output_cap = 256 << 10;  // bytes kept of stdout and of stderr each
  // Called about twice a second while the process runs; returning false kills it (size limits, Ctrl-C).
  std::function<bool()> keep_going;
  // Called with each chunk of stderr as it arrives (git's progress lines).
  std::function<void(std::string_view)> on_stderr;
};

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  bool timed_out = false;
  bool stopped = false;  // keep_going returned false
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH from `env`) and waits; the whole process group is killed on
// timeout or stop. Throws orch::Error(Infrastructure) only when the process cannot be started.
ProcessResult run_process(const ProcessOptions& opts);

}  // namespace orch::repo
