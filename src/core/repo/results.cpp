#include "core/repo/results.hpp"

#include <regex>

#include "core/repo/xml.hpp"

namespace orch::repo {

const char* status_name(TestCase::Status s) {
  switch (s) {
    case TestCase::Status::Passed: return "passed";
    case TestCase::Status::Failed: return "failed";
    case TestCase::Status::Errored: return "errored";
    case TestCase::Status::Skipped: return "skipped";
  }
  return "errored";
}

Counts count(const std::vector<TestCase>& cases) {
  Counts c;
  for (const auto& t : cases) {
    switch (t.status) {
      case TestCase::Status::Passed: ++c.passed; break;
      case TestCase::Status::Failed: ++c.failed; break;
      case TestCase::Status::Errored: ++c.errored; break;
      case TestCase::Status::Skipped: ++c.skipped; break;
    }
  }
  return c;
}

std::string clip(std::string_view text, size_t max) {
  if (text.size() <= max) return xml::sanitize_utf8(text);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return xml::sanitize_utf8(text.substr(0, cut)) + "\n[... " + std::to_string(text.size() - cut) + " more bytes]";
}

nlohmann::json to_json(const TestCase& c) {
  nlohmann::json j = {{"suite", c.suite}, {"name", c.name}, {"status", status_name(c.status)}, {"time_s", c.time_s}};
  if (!c.message.empty()) j["message"] = c.message;
  if (!c.details.empty()) j["details"] = c.details;
  return j;
}

namespace {

double to_seconds(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stod(s);
  } catch (...) {
    return 0;
  }
}

std::string first_line(std::string_view s) {
  while (!s.empty() && (s.front() == '\n' || s.front() == ' ')) s.remove_prefix(1);
  auto nl = s.find('\n');
  return std::string(s.substr(0, nl));
}

// The line of a failed test's output that says what failed (an assertion, an error), else its last.
std::string telling_line(std::string_view text) {
  static const std::regex telling(R"(assert|fail|error|expected|abort|panic)", std::regex::icase);
  std::string last;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    auto a = line.find_first_not_of(" \t\r");
    if (a != std::string::npos) {
      line = line.substr(a);
      if (std::regex_search(line, telling)) return line;
      last = line;
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return last;
}

void collect(const xml::Node& n, std::vector<TestCase>& out) {
  if (n.name == "testcase") {
    TestCase t;
    t.suite = n.attr("classname", n.attr("file"));
    t.name = n.attr("name");
    t.time_s = to_seconds(n.attr("time"));
    const xml::Node* bad = nullptr;
    if ((bad = n.first("failure"))) t.status = TestCase::Status::Failed;
    else if ((bad = n.first("error"))) t.status = TestCase::Status::Errored;
    else if ((bad = n.first("skipped"))) t.status = TestCase::Status::Skipped;
    else if (n.attr("status") == "fail") t.status = TestCase::Status::Failed;
    else if (n.attr("status") == "disabled" || n.attr("status") == "notrun") t.status = TestCase::Status::Skipped;
    if (bad) {
      t.message = clip(bad->attr("message", first_line(bad->text)), 2000);
      t.details = clip(bad->text, 8000);
    }
    // ctest's report says nothing in <failure>: what failed is in the test's own output.
    const xml::Node* sysout = n.first("system-out");
    if ((t.status == TestCase::Status::Failed || t.status == TestCase::Status::Errored) && t.details.empty() && sysout) {
      t.details = clip(sysout->text, 8000);
      if (t.message.empty() || t.message == "Failed") t.message = clip(telling_line(sysout->text), 2000);
    }
    out.push_back(std::move(t));
    return;
  }
  for (const auto& c : n.children) collect(*c, out);
}

}  // namespace

Results parse_junit(std::string_view text) {
  auto root = xml::parse(text);
  Results r;
  r.format = "junit";
  collect(*root, r.cases);
  r.counts = count(r.cases);
  return r;
}

}  // namespace orch::repo
