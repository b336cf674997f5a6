#include <doctest/doctest.h>

#include "core/repo/diagnose.hpp"

using namespace orch::repo;

namespace {

Results with(int passed, int failed) {
  Results r;
  r.counts.passed = passed;
  r.counts.failed = failed;
  return r;
}

}  // namespace

TEST_CASE("commands that are not installed and dependencies that cannot be had offline are named") {
  CHECK(could_not_run_reason("\n> j@1.0.0 test\n> jest --ci\n\nsh: 1: jest: not found\n", 127, with(0, 0)).find("jest: not found") !=
        std::string::npos);
  CHECK(could_not_run_reason("go vet .\nmake: go: No such file or directory\nmake: *** [Makefile:2: test] Error 127\n", 2, with(0, 0))
            .find("make: go: No such file or directory") != std::string::npos);
  CHECK(could_not_run_reason("error: no matching package named `serde` found\nlocation searched: registry `crates-io`\n"
                             "required by package `calc v0.1.0 (/workspace/src)`\nAs a reminder, you're using offline mode (--offline)\n",
                             101, with(0, 0))
            .find("a Rust dependency cannot be fetched offline") == 0);
  std::string pytest =
      "==== ERRORS ====\n____ ERROR collecting test_api.py ____\nImportError while importing test module\n"
      "E   ModuleNotFoundError: No module named 'requests'\n=== 1 passed, 1 error in 0.1s ===\n";
  CHECK(could_not_run_reason(pytest, 2, with(1, 0)).find("No module named 'requests'") != std::string::npos);
  CHECK(could_not_run_reason("Error: Cannot find module 'left-pad'\n", 1, with(0, 1)).find("an npm package") == 0);
}

TEST_CASE("tests that ran and failed are not mistaken for tests that could not run") {
  CHECK(could_not_run_reason("AssertionError: user not found\n", 1, with(3, 1)).empty());
  CHECK(could_not_run_reason("FileNotFoundError: [Errno 2] No such file or directory: 'x'\n", 1, with(3, 1)).empty());
  CHECK(could_not_run_reason("    raise ModuleNotFoundError: No module named 'plugin'\nFAILED test_x.py::test_plugin\n", 1, with(3, 1))
            .empty());
  CHECK(could_not_run_reason("Error: Cannot find module 'left-pad'\n", 1, with(2, 1)).empty());
  CHECK(could_not_run_reason("sh: 1: jest: not found\n", 0, with(0, 0)).empty());
}

TEST_CASE("hints name what would help: the lockfile's installer, pytest's plugins and version") {
  // The installer a node plan names (pnpm's lockfile), not always npm ci.
  auto pnpm = could_not_run_reason("sh: 1: pnpm: not found\n", 127, with(0, 0), "node", "npx --yes pnpm install --frozen-lockfile");
  CHECK(pnpm.find("--setup 'npx --yes pnpm install --frozen-lockfile' --setup-net installs them") != std::string::npos);
  auto npm = could_not_run_reason("Error: Cannot find module 'left-pad'\n", 1, with(0, 1), "node", "");
  CHECK(npm.find("--setup 'npm install' --setup-net") != std::string::npos);
  // pytest's usage errors (exit 4) are a run that could not start, not one failing test.
  auto cov = could_not_run_reason(
      "ERROR: usage: pytest [options] [file_or_dir] [file_or_dir] [...]\npytest: error: unrecognized arguments: --cov=wcwidth\n", 4,
      with(0, 1), "python");
  CHECK(cov.find("a plugin is not installed") != std::string::npos);
  CHECK(cov.find("unrecognized arguments: --cov=wcwidth") != std::string::npos);
  CHECK(cov.find("-o addopts=") != std::string::npos);
  auto old = could_not_run_reason("ERROR: /src/pyproject.toml: 'minversion' requires pytest-8.0, actual pytest-7.2.1\n", 4, with(0, 1));
  CHECK(old.find("the template's pytest is older than the repository asks") == 0);
  CHECK(could_not_run_reason("pytest: error: unrecognized arguments: --x\n", 1, with(5, 1)).empty());  // tests ran
}

TEST_CASE("a runner that found no tests is told from tests that passed") {
  Results none;
  none.format = "exit-code";
  CHECK(no_tests_reason("Test project /workspace/build\nNo tests were found!!!\n", 0, none).find("No tests were found!!!") == 0);
  CHECK(no_tests_reason("ok  \tx/y\t0.1s\n?   \tx/z\t[no test files]\n", 0, none).find("[no test files]") != std::string::npos);
  CHECK(no_tests_reason("\n----\nRan 0 tests in 0.000s\n\nOK\n", 0, none).find("Ran 0 tests") == 0);
  CHECK(no_tests_reason("collected 0 items\n==== no tests ran in 0.01s ====\n", 5, none).find("no tests ran in") != std::string::npos);
  CHECK(no_tests_reason("No tests found, exiting with code 1\n", 1, none).find("No tests found") == 0);
  CHECK(no_tests_reason("# tests 0\n# pass 0\n", 0, none).find("# tests 0") == 0);
  // A build error beside a package without tests is not "no tests".
  CHECK(no_tests_reason("?   \tx/z\t[no test files]\n./a.go:3:1: syntax error\n", 1, none).empty());
  // Tests that were counted, or a run that said nothing of the kind, are not "no tests".
  CHECK(no_tests_reason("all good\n", 0, none).empty());
  CHECK(no_tests_reason("No tests were found!!!\n", 0, with(3, 0)).find("No tests") == std::string::npos);
}
