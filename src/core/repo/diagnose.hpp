#pragma once
#include <string>

#include "core/repo/results.hpp"

namespace orch::repo {

// Why a test run that exited `rc` never really tested anything: a command that does not exist (127),
// a dependency that cannot be had offline (cargo, go modules, npm packages, Python modules missing at
// collection). "" when the output looks like tests that ran and failed. `output` is stdout and stderr.
std::string could_not_run_reason(const std::string& output, int rc, const Results& results);

}  // namespace orch::repo
