#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>

#include "cli/common.hpp"
#include "cli/repo.hpp"
#include "cli/terminal.hpp"
#include "core/error.hpp"
#include "core/repo/test.hpp"
#include "core/util/shown.hpp"
#include "core/util/units.hpp"

namespace orch::cli {

namespace {

// Progress on stderr: one line per phase, git's transfer progress redrawn in place on a terminal.
class CliProgress : public repo::ProgressObserver {
 public:
  CliProgress(bool verbose, bool single) : verbose_(verbose), single_(single), tty_(stderr_is_tty()) {}
  void on_phase(const std::string& source, repo::Phase phase, const std::string& detail) override {
    std::lock_guard<std::mutex> lock(mu_);
    bool transfer = phase == repo::Phase::Cloning && last_phase_[source] == repo::Phase::Cloning && started_.count(source);
    started_.insert(source);
    last_phase_[source] = phase;
    std::string line = terminal_safe("[" + source + "] " + repo::phase_name(phase) + ": " + detail);
    if (transfer) {
      // git's counters arrive many times a second: only a terminal gets them, overwritten in place.
      if (tty_ && single_) {
        std::cerr << "\r\033[K" << line.substr(0, 160) << std::flush;
        redraw_ = true;
      }
      return;
    }
    if (redraw_) std::cerr << "\r\033[K";
    redraw_ = false;
    std::cerr << line << "\n";
  }
  void on_output(const std::string&, bool, std::string_view data) override {
    if (!verbose_) return;
    std::lock_guard<std::mutex> lock(mu_);
    std::cerr.write(data.data(), static_cast<std::streamsize>(data.size()));
    std::cerr.flush();
  }
  bool cancelled() override { return g_interrupted.load() != 0; }

 private:
  bool verbose_, single_, tty_;
  bool redraw_ = false;
  std::mutex mu_;
  std::set<std::string> started_;
  std::map<std::string, repo::Phase> last_phase_;
};

const char* upper_status(repo::ReportStatus s) {
  switch (s) {
    case repo::ReportStatus::Passed: return "PASSED";
    case repo::ReportStatus::Failed: return "FAILED";
    case repo::ReportStatus::CloneFailed: return "CLONE FAILED";
    case repo::ReportStatus::InfraError: return "INFRA ERROR";
    case repo::ReportStatus::Pending:
    case repo::ReportStatus::Error: return "ERROR";
  }
  return "ERROR";
}

void print_human(const std::vector<repo::TestReport>& reports) {
  InertText inert(std::cout);  // test names and messages are the repository's
  repo::Counts total;
  int ok = 0;
  std::cout << "\n";
  for (const auto& r : reports) {
    const auto& c = r.results.counts;
    total.passed += c.passed;
    total.failed += c.failed;
    total.errored += c.errored;
    total.skipped += c.skipped;
    if (r.status == repo::ReportStatus::Passed) ++ok;
    std::cout << std::left << std::setw(13) << upper_status(r.status) << r.name;
    if (!r.commit.empty()) std::cout << " @ " << r.commit.substr(0, 10);
    if (repo::tests_ran(r.status)) {
      std::cout << "  " << r.runner << ": " << c.passed << " passed, " << c.failed << " failed, " << c.errored << " errored, "
                << c.skipped << " skipped";
    } else {
      std::cout << "  " << r.message;
    }
    std::cout << " (" << std::fixed << std::setprecision(1) << static_cast<double>(r.duration_ms) / 1000.0 << "s)\n";
    int shown = 0;
    for (const auto& t : r.results.cases) {
      if (t.status != repo::TestCase::Status::Failed && t.status != repo::TestCase::Status::Errored) continue;
      if (++shown > 20) {
        std::cout << "    ... and more (see --json or --junit)\n";
        break;
      }
      std::cout << "    " << (t.status == repo::TestCase::Status::Failed ? "FAIL " : "ERROR ")
                << (t.suite.empty() ? "" : t.suite + " :: ") << t.name;
      if (!t.message.empty()) std::cout << ": " << t.message.substr(0, std::min<size_t>(200, t.message.find('\n')));
      std::cout << "\n";
    }
    for (const auto& w : r.warnings) std::cout << "    warning: " << w << "\n";
  }
  std::cout << "\ntotal: " << total.passed << " passed, " << total.failed << " failed, " << total.errored << " errored, "
            << total.skipped << " skipped; " << ok << " of " << reports.size() << " repositories passed\n";
}

void write_file(const std::string& path, const std::string& data, const char* what) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error(ErrorKind::BadInput, std::string("cannot write ") + what + " '" + path + "'");
  f << data;
  if (!f) throw Error(ErrorKind::Infrastructure, std::string("short write to ") + what + " '" + path + "'");
}

}  // namespace

void add_test_command(CLI::App& app, RepoTestFlags& f) {
  auto* t = app.add_subcommand("test", "clone repositories and run their tests in sandboxes");
  t->add_option("sources", f.sources,
                "git URLs or local paths (a local repository is tested at its last commit: uncommitted changes are left out)")
      ->required();
  t->add_option("--ref", f.ref, "branch, tag or commit to test (default: the remote's HEAD)");
  t->add_option("-j,--jobs", f.jobs, "repositories tested at once (default 2)")->check(CLI::Range(1, 64));
  t->add_option("--cmd", f.cmd, "test command (sh), instead of the detected one");
  t->add_option("-t,--template", f.tmpl, "environment to test in (default: from the detected stack)");
  t->add_option("--setup", f.setup, "command run before the tests, e.g. 'pip install -r requirements.txt'");
  t->add_flag("--setup-net", f.setup_net, "give the setup (never the tests) a network");
  t->add_flag("--submodules", f.submodules, "also fetch submodules");
  t->add_option("--timeout", f.timeout, "seconds for the test run (default 600)");
  t->add_option("--clone-timeout", f.clone_timeout, "seconds for the clone (default 300)");
  t->add_option("--max-size", f.max_size, "largest repository accepted, e.g. 256m (default)");
  t->add_option("--memory", f.memory, "sandbox memory (default: 1g or the template's)");
  t->add_option("--cpus", f.cpus, "sandbox CPUs");
  t->add_option("--workspace-size", f.workspace, "size of /workspace (default: from the repository, >= 512m)");
  t->add_option("--runtime", f.runtime, "container runtime, e.g. runsc");
  t->add_option("-e,--env", f.env, "KEY=VALUE for the sandbox (repeatable)");
  t->add_option("--token-env", f.token_env, "environment variable holding the GitHub token (default GITHUB_TOKEN)");
  t->add_flag("--json", f.json, "print the reports as JSON");
  t->add_option("--junit", f.junit, "write one merged JUnit XML file");
  t->add_flag("-v,--verbose", f.verbose, "stream the sandbox output");
  t->footer(
      "Exit codes: 0 every repository's tests passed; 1 tests failed; 2 usage error; 3 a repository could not be\n"
      "cloned; 4 tests could not run (nothing detected, no tests found, setup failed, timeout, out of memory); 125\n"
      "the engine or host failed (or a template image is missing). With several repositories the highest-ranked applies:\n"
      "125 > 3 > 4 > 1 > 0.");
  f.cmd_app = t;
}

int run_test_command(const RepoTestFlags& f) {
  std::vector<repo::TestOptions> all;
  std::string token;
  if (const char* v = std::getenv(f.token_env.c_str())) token = v;
  for (const auto& s : f.sources) {
    repo::TestOptions o;
    o.source = s;
    o.ref = f.ref;
    o.command = f.cmd;
    o.template_name = f.tmpl;
    o.setup = f.setup;
    o.setup_network = f.setup_net;
    o.submodules = f.submodules;
    if (f.timeout > 0) o.timeout_s = o.setup_timeout_s = f.timeout;
    if (f.clone_timeout > 0) o.clone_timeout_s = f.clone_timeout;
    if (!f.max_size.empty()) o.max_repo_bytes = parse_bytes(f.max_size, "--max-size");
    if (!f.memory.empty()) o.memory_bytes = parse_bytes(f.memory, "--memory");
    if (f.cpus > 0) o.cpus = f.cpus;
    if (!f.workspace.empty()) o.workspace_size = f.workspace;
    if (!f.runtime.empty()) o.runtime = f.runtime;
    o.env = f.env;
    o.token = token;
    all.push_back(std::move(o));
  }
  if (f.setup_net && f.setup.empty()) throw Error(ErrorKind::BadInput, "--setup-net needs --setup CMD");
  auto store = templates::Store::load();
  auto engine = engine::engine_from_env();
  install_signal_handlers();
  CliProgress progress(f.verbose, all.size() == 1 || f.jobs == 1);
  auto reports = repo::run_tests_parallel(*engine, store, all, f.jobs, progress);
  if (!f.junit.empty()) write_file(f.junit, repo::to_junit(reports), "--junit");
  if (f.json) print_json(repo::summary_json(reports));
  else print_human(reports);
  return repo::exit_code_for(reports);
}

}  // namespace orch::cli
