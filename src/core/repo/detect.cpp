#include "core/repo/detect.hpp"

#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace orch::repo {

namespace {

// Index of the tree by path, reading small files on demand.
class View {
 public:
  explicit View(const Tree& t) : t_(t) {
    for (const auto& e : t.entries)
      if (e.kind == TreeEntry::Kind::File) files_.insert(e.path);
  }
  bool has(const std::string& p) const { return files_.count(p) > 0; }
  std::string read(const std::string& p) const {
    if (!has(p)) return "";
    try {
      return read_tree_file(t_.root, p, 512 << 10);
    } catch (const Error&) {
      return "";  // too big or unreadable: not a config file worth trusting
    }
  }
  const std::set<std::string>& files() const { return files_; }

 private:
  const Tree& t_;
  std::set<std::string> files_;
};

std::string base_name(const std::string& p) {
  auto s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

bool in_vendored(const std::string& p) {
  return p.rfind("node_modules/", 0) == 0 || p.find("/node_modules/") != std::string::npos || p.rfind("vendor/", 0) == 0 ||
         p.rfind(".venv/", 0) == 0 || p.rfind("venv/", 0) == 0;
}

bool has_make_target(const std::string& makefile, const std::string& target) {
  std::regex re("(^|\\n)" + target + "[ \\t]*:(?!=)");
  return std::regex_search(makefile, re);
}

void detect_python(const View& v, Detection& d) {
  bool project = v.has("pyproject.toml") || v.has("setup.py") || v.has("setup.cfg");
  std::vector<std::string> reqs;
  std::vector<std::string> tests;
  bool any_py = false;
  for (const auto& f : v.files()) {
    if (in_vendored(f)) continue;
    std::string b = base_name(f);
    if (b.rfind("requirements", 0) == 0 && ends_with(b, ".txt") && f.find('/') == std::string::npos) reqs.push_back(f);
    if (!ends_with(b, ".py")) continue;
    any_py = true;
    if ((b.rfind("test", 0) == 0 || ends_with(b, "_test.py")) && tests.size() < 200) tests.push_back(f);
  }
  if (!project && reqs.empty() && !any_py) return;
  if (v.has("pyproject.toml")) d.build_systems.push_back("python (pyproject.toml)");
  else if (v.has("setup.py")) d.build_systems.push_back("python (setup.py)");
  else if (!reqs.empty()) d.build_systems.push_back("pip (" + reqs.front() + ")");
  std::string config = v.read("pyproject.toml") + v.read("setup.cfg") + v.read("tox.ini");
  for (const auto& r : reqs) config += v.read(r);
  bool pytest = v.has("pytest.ini") || v.has("conftest.py") || config.find("pytest") != std::string::npos;
  bool unittest = false;
  for (const auto& t : tests) {
    std::string src = v.read(t);
    if (src.find("import pytest") != std::string::npos || src.find("from pytest") != std::string::npos) pytest = true;
    if (src.find("import unittest") != std::string::npos || src.find("from unittest") != std::string::npos) unittest = true;
  }
  if (!pytest && !unittest && tests.empty()) return;
  TestPlan p{"python", "pytest", "python", "", "", ""};
  if (pytest || !unittest) {
    // pytest also runs unittest-style classes; its JUnit report has every case with its failure.
    d.test_systems.push_back("pytest");
    p.command = "python3 -m pytest -p no:cacheprovider -o junit_family=xunit1 --junitxml=/workspace/out/junit.xml";
    p.result_file = "junit.xml";
    p.result_format = "junit";
  } else {
    d.test_systems.push_back("unittest");
    p.runner = "unittest";
    p.command = "python3 -m unittest discover -v";
    p.result_format = "unittest";
  }
  d.plans.push_back(p);
}

void detect_node(const View& v, Detection& d) {
  bool has_pkg = v.has("package.json");
  std::vector<std::string> tests;
  for (const auto& f : v.files()) {
    if (in_vendored(f)) continue;
    std::string b = base_name(f);
    bool js = ends_with(b, ".js") || ends_with(b, ".mjs") || ends_with(b, ".cjs");
    if (js && (f.rfind("test/", 0) == 0 || b.find(".test.") != std::string::npos || b.find("_test.") != std::string::npos ||
               b.rfind("test.", 0) == 0 || b.rfind("test-", 0) == 0))
      tests.push_back(f);
  }
  if (!has_pkg && tests.empty()) return;
  std::string script;
  if (has_pkg) {
    d.build_systems.push_back("npm (package.json)");
    auto pkg = nlohmann::json::parse(v.read("package.json"), nullptr, false);
    if (pkg.is_object() && pkg.contains("scripts") && pkg["scripts"].is_object() && pkg["scripts"].contains("test") &&
        pkg["scripts"]["test"].is_string())
      script = pkg["scripts"]["test"].get<std::string>();
  }
  // `npm init` writes a test script that only fails; it means "no tests".
  if (!script.empty() && script.find("no test specified") == std::string::npos) {
    d.test_systems.push_back("npm test");
    // node --test prints TAP when its output is not a terminal, so the output is parsed.
    d.plans.push_back({"node", "npm", "node", "npm test", "", "tap"});
  } else if (!tests.empty()) {
    d.test_systems.push_back("node --test");
    d.plans.push_back({"node", "node-test", "node",
                       "node --test --test-reporter=tap --test-reporter-destination=/workspace/out/results.tap "
                       "--test-reporter=spec --test-reporter-destination=stdout",
                       "results.tap", "tap"});
  }
}

void detect_go(const View& v, Detection& d) {
  if (!v.has("go.mod")) return;
  d.build_systems.push_back("go modules");
  d.test_systems.push_back("go test");
  d.plans.push_back({"go", "go", "go", "go test -json ./... > /workspace/out/go-test.json", "go-test.json", "go-json"});
}

void detect_rust(const View& v, Detection& d) {
  if (!v.has("Cargo.toml")) return;
  d.build_systems.push_back("cargo");
  d.test_systems.push_back("cargo test");
  d.plans.push_back({"rust", "cargo", "rust", "cargo test --offline --color never 2>&1", "", "cargo"});
}

void detect_cmake(const View& v, Detection& d) {
  if (!v.has("CMakeLists.txt")) return;
  d.build_systems.push_back("cmake");
  std::string cm = v.read("CMakeLists.txt");
  if (cm.find("enable_testing") == std::string::npos && cm.find("add_test") == std::string::npos &&
      cm.find("include(CTest)") == std::string::npos)
    return;
  d.test_systems.push_back("ctest");
  d.plans.push_back({"cmake", "ctest", "cpp",
                     "cmake -S . -B /workspace/build -DCMAKE_BUILD_TYPE=Debug && cmake --build /workspace/build -j 2 && "
                     "ctest --test-dir /workspace/build --output-on-failure --output-junit /workspace/out/junit.xml",
                     "junit.xml", "junit"});
}

void detect_make(const View& v, Detection& d) {
  for (const char* name : {"GNUmakefile", "makefile", "Makefile"}) {
    if (!v.has(name)) continue;
    d.build_systems.push_back("make");
    std::string mk = v.read(name);
    for (const char* target : {"test", "check"}) {
      if (!has_make_target(mk, target)) continue;
      d.test_systems.push_back(std::string("make ") + target);
      d.plans.push_back({"make", "make", "cpp", std::string("make ") + target, "", "exit-code"});
      return;
    }
    return;
  }
}

}  // namespace

Detection detect(const Tree& tree) {
  View v(tree);
  Detection d;
  detect_python(v, d);
  detect_node(v, d);
  detect_go(v, d);
  detect_rust(v, d);
  detect_cmake(v, d);
  detect_make(v, d);
  return d;
}

TestPlan custom_plan(const std::string& command, const std::string& template_name) {
  return {"custom", "custom", template_name, command, "", "exit-code"};
}

}  // namespace orch::repo
