#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace orch::repo {

struct TestCase {
  enum class Status { Passed, Failed, Errored, Skipped };
  std::string suite;  // classname, package or file
  std::string name;
  Status status = Status::Passed;
  std::string message;  // first line of the failure
  std::string details;  // the failure's text, trimmed
  double time_s = 0;
};

struct Counts {
  int passed = 0, failed = 0, errored = 0, skipped = 0;
  int total() const { return passed + failed + errored + skipped; }
};

// What a test run produced, in one shape whatever the runner wrote.
struct Results {
  std::string format;  // junit | tap | go-json | cargo | unittest | exit-code
  std::string counting;  // how cases were counted when a runner nests them (said in the JUnit output); "" = one per test
  Counts counts;
  std::vector<TestCase> cases;
  bool parsed() const { return format != "exit-code" && counts.total() > 0; }
};

const char* status_name(TestCase::Status s);
Counts count(const std::vector<TestCase>& cases);

// Each parser returns whatever it could read; a malformed tail keeps the cases before it.
Results parse_junit(std::string_view xml);         // throws orch::Error(BadInput) when not XML at all
Results parse_tap(std::string_view text);          // TAP 13/14 as node --test writes it (nested subtests)
Results parse_go_test_json(std::string_view text); // `go test -json` event stream
Results parse_cargo_test(std::string_view text);   // libtest's plain output
Results parse_unittest(std::string_view text);     // `python -m unittest -v` on stderr

nlohmann::json to_json(const TestCase& c);

// Keeps text to at most `max` bytes on a UTF-8 boundary, marking the cut.
std::string clip(std::string_view text, size_t max);

}  // namespace orch::repo
