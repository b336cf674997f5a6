#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine/engine.hpp"
#include "core/repo/remote_check.hpp"
#include "core/repo/results.hpp"
#include "core/templates/template.hpp"

namespace orch::repo {

// One `orch repo test` job: what the CLI flags and the server's POST /v1/repo/test body map onto.
struct TestOptions {
  std::string source;         // git URL or local path
  std::string ref;            // branch, tag or commit
  std::string command;        // overrides detection (sh, run in the repository's root)
  std::string template_name;  // overrides the template detection picks
  std::string setup;          // runs before the tests, in the same workspace
  bool setup_network = false; // the setup (only) gets a network; then it runs in its own sandbox
  bool submodules = false;
  double timeout_s = 600;     // the test run (setup included when it shares the sandbox)
  double setup_timeout_s = 600;
  double clone_timeout_s = 300;
  int64_t max_repo_bytes = 256LL << 20;
  std::optional<int64_t> memory_bytes;  // default: max(1g, template's)
  std::optional<double> cpus;
  std::optional<int64_t> pids;                // default: max(512, template's)
  std::optional<std::string> workspace_size;  // default: sized from the repository, at least 512m
  std::optional<std::string> runtime;
  std::vector<std::string> env;  // K=V for the sandbox
  std::string token;             // GitHub token; never printed, logged or stored in the report
  RemotePolicy remote;           // the hosts a server's job may clone from
  size_t output_cap = 4 << 20;
};

enum class Phase { Cloning, Detecting, Setup, Testing, Parsing, Done };
const char* phase_name(Phase p);

// Receives progress for one repository; the server records it, the CLI prints it. Called from the
// thread running that repository's job.
class ProgressObserver {
 public:
  virtual ~ProgressObserver() = default;
  virtual void on_phase(const std::string& source, Phase phase, const std::string& detail) {
    (void)source; (void)phase; (void)detail;
  }
  virtual void on_output(const std::string& source, bool is_stderr, std::string_view data) {
    (void)source; (void)is_stderr; (void)data;
  }
  virtual bool cancelled() { return false; }
};

// What became of one repository. Pending until the run decides; the JSON names are stable.
enum class ReportStatus {
  Pending,
  Passed,       // every test passed
  Failed,       // tests ran and some failed
  Error,        // tests could not run: nothing detected, setup failed, timeout, out of memory
  CloneFailed,  // the repository could not be fetched
  InfraError,   // the engine or an image failed
};
const char* status_name(ReportStatus s);
// Tests ran (passed or failed): the report has counts rather than a reason.
inline bool tests_ran(ReportStatus s) { return s == ReportStatus::Passed || s == ReportStatus::Failed; }

struct TestReport {
  std::string source;   // as displayed (credentials masked)
  std::string name;     // short name, e.g. owner/repo
  std::string ref;
  std::string commit;
  ReportStatus status = ReportStatus::Pending;
  std::string message;  // why, for anything but passed/failed
  std::string stack, runner, template_name, command;
  Results results;
  int test_exit_code = -1;
  int64_t clone_ms = 0, setup_ms = 0, test_ms = 0, duration_ms = 0;
  std::string output_tail;  // last part of the test run's output
  std::vector<std::string> warnings;
};

// Clones, detects, runs the setup and tests in sandboxes, parses results. Never throws for a
// repository's own problems (they become the report's status); throws orch::Error(BadInput) for
// invalid options only.
TestReport run_tests(engine::Engine& engine, const templates::Store& store, const TestOptions& opts,
                     ProgressObserver& progress);

// Runs several jobs, at most `jobs` at once; reports come back in the order of `all`.
std::vector<TestReport> run_tests_parallel(engine::Engine& engine, const templates::Store& store,
                                           const std::vector<TestOptions>& all, int jobs, ProgressObserver& progress);

// The server's POST /v1/repo/test body: {source, ref, cmd, template, setup, setup_net, submodules,
// timeout, clone_timeout, max_size, memory, cpus, env}. Local paths and file:// URLs are refused
// unless allow_local (a remote caller must not read the server's own folders). The token is not
// read from the body: the server sets it from its own configuration.
TestOptions test_options_from_json(const nlohmann::json& body, bool allow_local = false);

nlohmann::json to_json(const TestReport& r);
nlohmann::json summary_json(const std::vector<TestReport>& reports);
// One merged JUnit document for the reports.
std::string to_junit(const std::vector<TestReport>& reports);

// Exit codes of `orch repo test`, in precedence order when several repositories disagree.
inline constexpr int kExitPassed = 0;
inline constexpr int kExitTestsFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCloneFailed = 3;
inline constexpr int kExitCouldNotTest = 4;
inline constexpr int kExitInfrastructure = 125;
int exit_code_for(const std::vector<TestReport>& reports);

}  // namespace orch::repo
