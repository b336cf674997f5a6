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
