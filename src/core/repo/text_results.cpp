#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "core/repo/results.hpp"

namespace orch::repo {

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

size_t indent_of(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  return i;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return s;
}

std::string strip_workspace(const std::string& path) { return path.rfind("/workspace/src/", 0) == 0 ? path.substr(15) : path; }

Results finish(std::string format, std::vector<TestCase> cases) {
  Results r;
  r.format = std::move(format);
  r.cases = std::move(cases);
  r.counts = count(r.cases);
  return r;
}

std::string last_nonempty(const std::string& text) {
  auto ls = lines_of(text);
  for (auto it = ls.rbegin(); it != ls.rend(); ++it)
    if (!trim(*it).empty()) return trim(*it);
  return "";
}

}  // namespace

Results parse_tap(std::string_view text) {
  static const std::regex point(R"(^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*?)\s*(?:#\s*(SKIP|TODO|skip|todo)\b\s*(.*))?$)");
  std::vector<TestCase> cases;
  static const std::regex plan_line(R"(^1\.\.(\d+)\b)");
  std::map<size_t, std::string> subtests;  // indent -> name announced by "# Subtest:"
  bool nested = false;                     // the stream names suites with "# Subtest:" (node --test)
  std::string group;                       // else the last "# name" comment before the points (tape)
  size_t planned = 0, top_points = 0;      // what top-level plans ("1..N") announced, and what came
  bool have_plan = false;
  size_t diagnosed = std::string::npos;  // a "not ok" without a YAML block: "# " lines after it are its diagnostics (bats)
  auto ls = lines_of(text);
  size_t prev_indent = 0;
  bool have_prev = false;
  for (size_t i = 0; i < ls.size(); ++i) {
    size_t ind = indent_of(ls[i]);
    std::string body = trim(ls[i]);
    if (body.rfind("# Subtest:", 0) == 0) {
      subtests.erase(subtests.lower_bound(ind), subtests.end());
      subtests[ind] = trim(body.substr(10));
      nested = true;
      diagnosed = std::string::npos;
      continue;
    }
    if (body.rfind('#', 0) == 0) {
      std::string note = trim(body.substr(1));
      if (diagnosed != std::string::npos) {
        auto& d = cases[diagnosed];
        if (d.details.size() < 8000) d.details += (d.details.empty() ? "" : "\n") + note;
        if (d.message.empty() || (d.message.rfind('(', 0) == 0 && note.rfind('(', 0) != 0))
          d.message = clip(note, 2000);  // bats: "(in test file x, line 3)", then what failed
      } else if (ind == 0) {
        group = note;
      }
      continue;
    }
    std::smatch pm;
    if (ind == 0 && std::regex_search(body, pm, plan_line)) {
      planned += std::stoul(pm[1].str());
      have_plan = true;
    }
    if (body.rfind("Bail out!", 0) == 0) {
      cases.push_back({"", "bail out", TestCase::Status::Errored, trim(body.substr(9)), "", 0});
      continue;
    }
    std::smatch m;
    if (!std::regex_match(body, m, point)) continue;
    diagnosed = std::string::npos;
    if (ind == 0) ++top_points;
    bool parent = have_prev && prev_indent > ind;  // its subtests were reported just before it
    have_prev = true;
    prev_indent = ind;
    if (parent) continue;
    // The class name is the chain of enclosing suites (a file, when the runner nests tests under one), the
    // same for passing and failing tests; runners that add a location add it only to some.
    TestCase t;
    t.name = m[3].str();
    for (const auto& [d, name] : subtests)
      if (d < ind && name != t.name) t.suite += (t.suite.empty() ? "" : " > ") + strip_workspace(name);
    if (!nested) t.suite = group;
    std::string directive = m[4].str();
    bool ok = m[1].str() == "ok";
    if (!directive.empty()) {
      t.status = TestCase::Status::Skipped;
      t.message = trim(m[5].str()).empty() ? directive : trim(m[5].str());
    } else {
      t.status = ok ? TestCase::Status::Passed : TestCase::Status::Failed;
    }
    // A YAML block follows at deeper indent: "---" ... "...".
    bool yaml = i + 1 < ls.size() && trim(ls[i + 1]) == "---";
    if (yaml) {
      size_t j = i + 2;
      std::string key, details, location, block;
      for (; j < ls.size() && trim(ls[j]) != "..."; ++j) {
        std::string line = trim(ls[j]);
        block += line + "\n";
        if (line.rfind("duration_ms:", 0) == 0) t.time_s = std::atof(line.c_str() + 12) / 1000.0;
        if (line.rfind("location:", 0) == 0) location = strip_workspace(unquote(trim(line.substr(9))));
        if (line.rfind("error:", 0) == 0) {
          std::string v = trim(line.substr(6));
          if (v == "|-" || v == "|" || v == ">-") {
            size_t base = indent_of(ls[j]);
            for (size_t k = j + 1; k < ls.size() && (indent_of(ls[k]) > base || trim(ls[k]).empty()); ++k)
              details += trim(ls[k]) + "\n";
          } else {
            details = unquote(v);
          }
        }
      }
      if (!ok) {
        if (details.empty()) details = block;  // tape: operator, expected, actual, at
        std::string msg;
        int taken = 0;
        for (auto l : lines_of(details))
          if (!trim(l).empty() && taken++ < 3) msg += (msg.empty() ? "" : " ") + trim(l);
        t.message = clip(msg, 2000);
        t.details = clip(location.empty() ? details : "at " + location + "\n" + details, 8000);
      }
      i = j;
    }
    cases.push_back(std::move(t));
    if (!ok && directive.empty() && !yaml) diagnosed = cases.size() - 1;
  }
  // Tests the plan announced that never reported (bats: "Executed 467 instead of expected 485").
  if (have_plan && top_points < planned)
    cases.push_back({"", "TAP plan", TestCase::Status::Errored,
                     "the plan announced " + std::to_string(planned) + " tests; " + std::to_string(top_points) + " reported", "", 0});
  return finish("tap", std::move(cases));
}

Results parse_go_test_json(std::string_view text) {
  struct Item {
    TestCase c;
    std::string output;
    bool done = false;
  };
  std::map<std::string, Item> items;  // "pkg\ttest"
  std::vector<std::string> order;
  std::map<std::string, std::string> pkg_output;
  std::set<std::string> failed_pkgs;
  std::string building;  // go 1.19 prints compile errors as plain "# pkg" blocks on stderr
  std::vector<std::string> build_order;
  for (auto line : lines_of(text)) {
    if (line.rfind("# ", 0) == 0) {
      building = trim(line.substr(2));
      if (!failed_pkgs.count(building)) build_order.push_back(building);
      failed_pkgs.insert(building);
      continue;
    }
    if (!building.empty() && !line.empty() && line[0] != '{') {
      pkg_output[building] += std::string(line) + "\n";
      continue;
    }
    building.clear();
    if (line.empty() || line[0] != '{') continue;
    auto ev = nlohmann::json::parse(line, nullptr, false);
    if (ev.is_discarded() || !ev.is_object()) continue;
    std::string action = ev.value("Action", ""), pkg = ev.value("Package", ""), test = ev.value("Test", "");
    if (test.empty()) {
      if (action == "output") pkg_output[pkg] += ev.value("Output", "");
      if (action == "fail") failed_pkgs.insert(pkg);
      continue;
    }
    std::string key = pkg + "\t" + test;
    if (!items.count(key)) order.push_back(key);
    Item& it = items[key];
    it.c.suite = pkg;
    it.c.name = test;
    if (action == "output") it.output += ev.value("Output", "");
    if (action == "pass" || action == "fail" || action == "skip") {
      it.done = true;
      it.c.time_s = ev.value("Elapsed", 0.0);
      it.c.status = action == "pass" ? TestCase::Status::Passed : action == "fail" ? TestCase::Status::Failed : TestCase::Status::Skipped;
    }
  }
  std::vector<TestCase> cases;
  std::set<std::string> pkgs_with_tests;
  for (const auto& key : order) {
    Item& it = items[key];
    // A test with subtests is reported by its leaves, and on its own only when it failed while none of them did.
    bool has_subtests = false, subtest_failed = false;
    for (auto sub = items.lower_bound(key + "/"); sub != items.end() && sub->first.rfind(key + "/", 0) == 0; ++sub) {
      has_subtests = true;
      if (!sub->second.done || sub->second.c.status == TestCase::Status::Failed) subtest_failed = true;
    }
    if (has_subtests && !(it.done && it.c.status == TestCase::Status::Failed && !subtest_failed)) continue;
    if (!it.done) {
      it.c.status = TestCase::Status::Errored;  // the binary died (panic, timeout) before reporting it
      it.c.message = "did not finish";
    }
    bool bad = it.c.status == TestCase::Status::Failed || it.c.status == TestCase::Status::Errored;
    if (bad || it.c.status == TestCase::Status::Skipped) {
      if (bad) it.c.details = clip(it.output, 8000);
      for (auto l : lines_of(it.output)) {
        std::string t = trim(l);
        if (!t.empty() && t.rfind("=== ", 0) != 0 && t.rfind("--- ", 0) != 0) {
          it.c.message = clip(t, 2000);
          break;
        }
      }
    }
    pkgs_with_tests.insert(it.c.suite);
    cases.push_back(it.c);
  }
  for (const auto& pkg : failed_pkgs) {
    if (pkgs_with_tests.count(pkg)) continue;  // its failing tests already say why
    auto out_lines = lines_of(pkg_output[pkg]);
    std::string first;
    for (auto l : out_lines)
      if (!trim(l).empty() && trim(l).rfind("FAIL", 0) != 0) {
        first = trim(l);
        break;
      }
    TestCase t{pkg, "build", TestCase::Status::Errored, clip(first, 2000), clip(pkg_output[pkg], 8000), 0};
    if (t.message.empty()) t.message = "package failed";
    cases.push_back(std::move(t));
  }
  auto r = finish("go-json", std::move(cases));
  r.counting =
      "go test: a test with subtests is counted through its subtests, and as a case of its own only when it "
      "fails while none of its subtests do (go test -json also lists every parent as a test)";
  return r;
}

Results parse_cargo_test(std::string_view text) {
  static const std::regex result(R"(^test (\S+)(?: - .*)? \.\.\. (ok|FAILED|ignored)(?:,.*)?$)");
  std::vector<TestCase> cases;
  std::map<std::string, std::string> failure_text;
  std::string suite, in_failure;
  for (auto line : lines_of(text)) {
    std::string l = trim(line);
    if (l.rfind("Running ", 0) == 0) {
      suite = trim(l.substr(8));
      if (auto paren = suite.find(" ("); paren != std::string::npos) suite = suite.substr(0, paren);
      if (suite.rfind("unittests ", 0) == 0) suite = suite.substr(10);
      continue;
    }
    if (l.rfind("Doc-tests ", 0) == 0) suite = "doctests " + l.substr(10);
    std::smatch m;
    if (std::regex_match(l, m, result)) {
      auto st = m[2] == "ok" ? TestCase::Status::Passed : m[2] == "FAILED" ? TestCase::Status::Failed : TestCase::Status::Skipped;
      cases.push_back({suite, m[1].str(), st, "", "", 0});
      in_failure.clear();
      continue;
    }
    if (l.rfind("---- ", 0) == 0 && l.size() > 12 && l.compare(l.size() - 12, 12, " stdout ----") == 0) {
      in_failure = l.substr(5, l.size() - 17);
      continue;
    }
    if (l == "failures:" || l.rfind("test result:", 0) == 0) {
      in_failure.clear();
      continue;
    }
    if (!in_failure.empty()) failure_text[in_failure] += std::string(line) + "\n";
  }
  for (auto& c : cases) {
    if (c.status != TestCase::Status::Failed) continue;
    const std::string& t = failure_text[c.name];
    c.details = clip(t, 8000);
    for (auto l : lines_of(t))
      if (l.find("panicked at") != std::string_view::npos || (c.message.empty() && !trim(l).empty())) c.message = clip(trim(l), 2000);
  }
  return finish("cargo", std::move(cases));
}

Results parse_unittest(std::string_view text) {
  static const std::regex head(R"(^(\S+) \(([\w.]+)\)(.*)$)");
  static const std::regex status(R"(\.\.\. (ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$)");
  static const std::regex section(R"(^(FAIL|ERROR|UNEXPECTED SUCCESS): (\S+) \(([\w.]+)\))");
  std::vector<TestCase> cases;
  std::map<std::string, size_t> index;  // "suite.name" -> case
  std::string pending_name, pending_suite;
  auto ls = lines_of(text);
  size_t i = 0;
  for (; i < ls.size(); ++i) {
    std::string l(ls[i]);
    if (l.rfind("=====", 0) == 0) break;
    std::smatch m;
    std::string rest = l;
    if (std::regex_match(l, m, head)) {
      pending_name = m[1].str();
      pending_suite = m[2].str();
      rest = m[3].str();
    }
    std::smatch s;
    if (pending_name.empty() || !std::regex_search(rest, s, status)) continue;
    std::string st = s[1].str();
    TestCase t;
    t.suite = pending_suite;
    if (t.suite.size() > pending_name.size() + 1 && t.suite.compare(t.suite.size() - pending_name.size() - 1, std::string::npos, "." + pending_name) == 0)
      t.suite.resize(t.suite.size() - pending_name.size() - 1);  // Python 3.11 repeats the method name
    t.name = pending_name;
    if (st == "ok" || st == "expected failure") t.status = TestCase::Status::Passed;
    else if (st == "FAIL" || st == "unexpected success") t.status = TestCase::Status::Failed;
    else if (st == "ERROR") t.status = TestCase::Status::Errored;
    else t.status = TestCase::Status::Skipped;
    index[t.suite + "." + t.name] = cases.size();
    cases.push_back(std::move(t));
    pending_name.clear();
  }
  // Then one section per failure: "=====", "FAIL: name (suite.name)", "-----", traceback.
  for (; i < ls.size(); ++i) {
    std::smatch m;
    std::string l(ls[i]);
    if (!std::regex_search(l, m, section)) continue;
    std::string suite = m[3].str(), name = m[2].str();
    if (suite.size() > name.size() + 1 && suite.compare(suite.size() - name.size() - 1, std::string::npos, "." + name) == 0)
      suite.resize(suite.size() - name.size() - 1);
    std::string details;
    size_t j = i + 2;
    for (; j < ls.size() && ls[j].rfind("=====", 0) != 0 && ls[j].rfind("-----", 0) != 0; ++j) details += std::string(ls[j]) + "\n";
    auto it = index.find(suite + "." + name);
    if (it != index.end()) {
      cases[it->second].details = clip(details, 8000);
      cases[it->second].message = clip(last_nonempty(details), 2000);
    }
    i = j - 1;
  }
  return finish("unittest", std::move(cases));
}

}  // namespace orch::repo
