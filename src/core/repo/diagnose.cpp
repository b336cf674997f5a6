#include "core/repo/diagnose.hpp"

#include <regex>

namespace orch::repo {

namespace {

// The first line of the output matching `re`, trimmed to a readable length.
std::string line_matching(const std::string& output, const std::regex& re) {
  size_t start = 0;
  while (start < output.size()) {
    size_t nl = output.find('\n', start);
    std::string line = output.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (std::regex_search(line, re)) {
      auto a = line.find_first_not_of(" \t");
      line = a == std::string::npos ? "" : line.substr(a);
      return line.size() > 300 ? line.substr(0, 300) + "..." : line;
    }
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return "";
}

struct Cause {
  std::regex line;     // the line that says it
  bool needs_no_pass;  // only when no test passed (the message can also come from one failing test)
  const char* what;
  const char* hint;
};

const std::vector<Cause>& causes() {
  static const auto ecma = std::regex::ECMAScript;
  static const std::vector<Cause> c = {
      {std::regex(
           R"(^(\S*sh|make(\[\d+\])?): (\d+: |line \d+: )?[^ :]+: ([Cc]ommand not found|not found|No such file or directory)$|^make(\[\d+\])?: \*\*\* .*Error 127$)",
           ecma),
       false, "a command the tests need is not installed", "pick a template that has it with --template, or install it with --setup"},
      {std::regex(
           R"(no matching package named .* found|attempting to make an HTTP request, but --offline was specified|failed to download .* offline)",
           ecma),
       false, "a Rust dependency cannot be fetched offline",
       "vendor it (cargo vendor), or fetch it first with --setup 'cargo fetch' --setup-net"},
      {std::regex(R"(no required module provides package|module lookup disabled by GOPROXY=off|cannot find package ".*" in any of)", ecma),
       false, "a Go module cannot be fetched offline",
       "vendor it (go mod vendor), or fetch it first with --setup 'go mod download' --setup-net; a repository without a "
       "go.mod needs one first: --setup 'go mod init example.com/m && go mod tidy' --setup-net"},
      {std::regex(R"((ModuleNotFoundError|ImportError): No module named)", ecma), false,
       "a Python module the tests import is not installed",
       "install it with --setup 'pip install -r requirements.txt' --setup-net (or 'pip install .' for the repository's own package)"},
      {std::regex(R"(Cannot find (module|package) '[^.][^']*'|ERR_MODULE_NOT_FOUND)", ecma), true,
       "an npm package the tests import is not installed", "install it with --setup '{install}' --setup-net"},
      {std::regex(R"(: error: unrecognized arguments: )", ecma), true,
       "pytest does not know options the repository's configuration gives it (a plugin is not installed)",
       "install the plugin the options belong to with --setup 'pip install pytest-cov' --setup-net (for --cov), or run "
       "without them: --cmd 'python3 -m pytest -o addopts='"},
      {std::regex(R"('minversion' requires pytest-)", ecma), true, "the template's pytest is older than the repository asks",
       "install a newer one with --setup 'pip install -U pytest' --setup-net"},
  };
  return c;
}

}  // namespace

std::string could_not_run_reason(const std::string& output, int rc, const Results& results, const std::string& stack,
                                 const std::string& install) {
  if (rc == 0) return "";
  bool collection_failed = output.find("ERROR collecting") != std::string::npos ||
                           output.find("Failed to import test module") != std::string::npos ||
                           output.find("errors during collection") != std::string::npos;
  for (size_t i = 0; i < causes().size(); ++i) {
    const auto& cause = causes()[i];
    if (cause.needs_no_pass && results.counts.passed > 0) continue;
    // A missing Python module only stops the run when it broke test collection, not inside one test.
    if (i == 3 && !collection_failed && results.counts.passed > 0) continue;
    std::string line = line_matching(output, cause.line);
    if (line.empty() && !(i == 0 && rc == 127)) continue;
    while (!line.empty() && line.back() == ':') line.pop_back();  // go's "in any of:" lists the paths below
    std::string hint = cause.hint;
    const std::string installer = install.empty() ? "npm install" : install;
    if (auto at = hint.find("{install}"); at != std::string::npos) hint.replace(at, 9, installer);
    // An npm script's tools (pnpm, tshy, jest) come with the devDependencies, which the checkout lacks.
    if (i == 0 && stack == "node")
      hint += " (an npm script's tool comes with the devDependencies: --setup '" + installer + "' --setup-net installs them)";
    return std::string(cause.what) + (line.empty() ? " (exit code 127)" : ": " + line) + "; " + hint;
  }
  return "";
}

std::string no_tests_reason(const std::string& output, int rc, const Results& results) {
  if (results.parsed()) return "";
  // pytest ends with 5 when it collected nothing; go's line comes with a build error too (then not this).
  static const std::regex any_rc(R"(No tests were found|^No tests defined|^No tests found, exiting with code)", std::regex::ECMAScript);
  static const std::regex clean_rc(R"(\[no test files\]|^running 0 tests$|^Ran 0 tests in |no tests ran in |^# tests 0$|^\S* ?tests 0$)",
                                   std::regex::ECMAScript);
  std::string line = line_matching(output, any_rc);
  if (line.empty() && (rc == 0 || rc == 5)) line = line_matching(output, clean_rc);
  if (line.empty()) return "";
  return line + "; the runner found no tests (a build option or a filter may leave them out): name the command with --cmd";
}

}  // namespace orch::repo
