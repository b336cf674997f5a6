#include "core/repo/junit.hpp"

#include <cstdio>

#include "core/repo/xml.hpp"

namespace orch::repo {

namespace {

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s < 0 ? 0 : s);
  return buf;
}

// The Jenkins JUnit schema has `skipped` on <testsuite> but not on <testsuites>.
std::string counts_attrs(const Counts& c, bool with_skipped) {
  std::string a = " tests=\"" + std::to_string(c.total()) + "\" failures=\"" + std::to_string(c.failed) + "\" errors=\"" +
                  std::to_string(c.errored) + "\"";
  if (with_skipped) a += " skipped=\"" + std::to_string(c.skipped) + "\"";
  return a;
}

}  // namespace

std::string write_junit(const std::vector<JunitSuite>& suites, const std::string& name) {
  Counts all;
  double total_time = 0;
  std::string body;
  for (const auto& s : suites) {
    std::vector<TestCase> cases = s.results.cases;
    if (!s.error.empty()) cases.push_back({s.name, "orch", TestCase::Status::Errored, s.error, s.error, 0});
    Counts c = count(cases);
    all.passed += c.passed;
    all.failed += c.failed;
    all.errored += c.errored;
    all.skipped += c.skipped;
    total_time += s.time_s;
    body += "  <testsuite name=\"" + xml::escape(s.name) + "\"" + counts_attrs(c, true);
    body += " time=\"" + seconds(s.time_s) + "\">\n";
    if (!s.results.counting.empty())
      body += "    <properties>\n      <property name=\"" + std::string(kCountingProperty) + "\" value=\"" +
              xml::escape(s.results.counting) + "\"/>\n    </properties>\n";
    for (const auto& t : cases) {
      body += "    <testcase classname=\"" + xml::escape(t.suite.empty() ? s.name : t.suite);
      body += "\" name=\"" + xml::escape(t.name);
      body += "\" time=\"" + seconds(t.time_s) + "\"";
      const char* tag = t.status == TestCase::Status::Failed    ? "failure"
                        : t.status == TestCase::Status::Errored ? "error"
                        : t.status == TestCase::Status::Skipped ? "skipped"
                                                                : nullptr;
      if (!tag) {
        body += "/>\n";
        continue;
      }
      body += ">\n      <" + std::string(tag) + " message=\"" + xml::escape(t.message) + "\"";
      if (t.details.empty()) body += "/>\n";
      else body.append(">").append(xml::escape(t.details, false)).append("</").append(tag).append(">\n");
      body += "    </testcase>\n";
    }
    if (!s.system_out.empty()) body += "    <system-out>" + xml::escape(s.system_out, false) + "</system-out>\n";
    body += "  </testsuite>\n";
  }
  std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"" + xml::escape(name) + "\"";
  doc += counts_attrs(all, false);
  doc += " time=\"" + seconds(total_time) + "\">\n";
  doc += body;
  doc += "</testsuites>\n";
  return doc;
}

}  // namespace orch::repo
