#include "core/repo/junit.hpp"
#include "core/repo/test.hpp"

namespace orch::repo {

namespace {

nlohmann::json counts_json(const Counts& c) {
  return {{"passed", c.passed}, {"failed", c.failed}, {"errored", c.errored}, {"skipped", c.skipped}, {"total", c.total()}};
}

}  // namespace

const char* status_name(ReportStatus s) {
  switch (s) {
    case ReportStatus::Pending: return "pending";
    case ReportStatus::Passed: return "passed";
    case ReportStatus::Failed: return "failed";
    case ReportStatus::Error: return "error";
    case ReportStatus::CloneFailed: return "clone_failed";
    case ReportStatus::InfraError: return "infra_error";
  }
  return "infra_error";
}

nlohmann::json to_json(const TestReport& r) {
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& c : r.results.cases)
    if (c.status == TestCase::Status::Failed || c.status == TestCase::Status::Errored) failures.push_back(to_json(c));
  nlohmann::json j = {{"source", r.source},
                      {"name", r.name},
                      {"ref", r.ref},
                      {"commit", r.commit},
                      {"status", status_name(r.status)},
                      {"exit_code", exit_code_for({r})},
                      {"stack", r.stack},
                      {"runner", r.runner},
                      {"template", r.template_name},
                      {"command", r.command},
                      {"result_format", r.results.format},
                      {"counts", counts_json(r.results.counts)},
                      {"failures", failures},
                      {"test_exit_code", r.test_exit_code},
                      {"timing_ms", {{"clone", r.clone_ms}, {"setup", r.setup_ms}, {"test", r.test_ms}, {"total", r.duration_ms}}},
                      {"warnings", r.warnings}};
  if (!r.message.empty()) j["message"] = r.message;
  if (!r.output_tail.empty()) j["output_tail"] = r.output_tail;
  return j;
}

nlohmann::json summary_json(const std::vector<TestReport>& reports) {
  Counts total;
  nlohmann::json repos = nlohmann::json::array();
  std::map<std::string, int> by_status;
  for (const auto& r : reports) {
    total.passed += r.results.counts.passed;
    total.failed += r.results.counts.failed;
    total.errored += r.results.counts.errored;
    total.skipped += r.results.counts.skipped;
    by_status[status_name(r.status)]++;
    repos.push_back(to_json(r));
  }
  int code = exit_code_for(reports);
  return {{"status", code == kExitPassed ? "passed" : code == kExitTestsFailed ? "failed" : "error"},
          {"exit_code", code},
          {"counts", counts_json(total)},
          {"repositories_by_status", by_status},
          {"repositories", repos}};
}

std::string to_junit(const std::vector<TestReport>& reports) {
  std::vector<JunitSuite> suites;
  for (const auto& r : reports) {
    JunitSuite s;
    s.name = r.name;
    if (!r.commit.empty()) s.name.append("@").append(r.commit.substr(0, 12));
    s.results = r.results;
    s.time_s = static_cast<double>(r.duration_ms) / 1000.0;
    if (!tests_ran(r.status)) s.error = std::string(status_name(r.status)) + ": " + r.message;
    s.system_out = r.output_tail;
    suites.push_back(std::move(s));
  }
  return write_junit(suites);
}

int exit_code_for(const std::vector<TestReport>& reports) {
  int code = kExitPassed;
  auto rank = [](int c) {
    switch (c) {
      case kExitInfrastructure: return 4;
      case kExitCloneFailed: return 3;
      case kExitCouldNotTest: return 2;
      case kExitTestsFailed: return 1;
      default: return 0;
    }
  };
  for (const auto& r : reports) {
    int c = r.status == ReportStatus::Passed        ? kExitPassed
            : r.status == ReportStatus::Failed      ? kExitTestsFailed
            : r.status == ReportStatus::CloneFailed ? kExitCloneFailed
            : r.status == ReportStatus::Error       ? kExitCouldNotTest
                                                    : kExitInfrastructure;
    if (rank(c) > rank(code)) code = c;
  }
  return code;
}

}  // namespace orch::repo
