#pragma once
#include <string>
#include <vector>

#include "core/repo/results.hpp"

namespace orch::repo {

// One repository's part of the merged report.
struct JunitSuite {
  std::string name;       // the repository, as shown to users
  Results results;
  double time_s = 0;
  std::string error;      // set when the tests could not run at all (clone failed, setup failed, ...)
  std::string system_out; // tail of the run's output
};

// The <property> that states how nested tests were counted.
inline constexpr const char* kCountingProperty = "orch.counting";

// One <testsuites> document with a <testsuite> per repository, as CI systems (GitLab, Jenkins,
// GitHub test reporters) read it. A repository that could not be tested becomes one errored case.
std::string write_junit(const std::vector<JunitSuite>& suites, const std::string& name = "orch repo test");

}  // namespace orch::repo
