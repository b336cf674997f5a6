#pragma once
#include <string>

#include "core/repo/results.hpp"

namespace orch::repo {

// Why a test run that exited `rc` never really tested anything: a command that does not exist (127),
// a dependency that cannot be had offline (cargo, go modules, npm packages, Python modules missing at
// collection). "" when the output looks like tests that ran and failed. `output` is stdout and stderr;
// `stack` (node, python, ...) fits the hint to where the missing command would come from.
std::string could_not_run_reason(const std::string& output, int rc, const Results& results, const std::string& stack = "",
                                 const std::string& install = "");
// Why a run that counted nothing tested nothing: the runner said it found no tests (ctest, meson,
// go, cargo, unittest, pytest, node --test, jest). "" when it did not say so.
std::string no_tests_reason(const std::string& output, int rc, const Results& results);

}  // namespace orch::repo
