#include "core/repo/detect.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/repo/analyze.hpp"
#include "core/repo/tree.hpp"

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
  // A "src layout" (src/pkg/__init__.py or src/mod.py, src itself no package) is importable once
  // installed; offline, the tests import it from src.
  bool src_layout = false;
  if (!v.has("src/__init__.py"))
    for (const auto& f : v.files()) {
      if (f.rfind("src/", 0) != 0 || !ends_with(f, ".py")) continue;
      std::string rest = f.substr(4);
      size_t slash = rest.find('/');
      bool package = slash != std::string::npos && rest.compare(slash, std::string::npos, "/__init__.py") == 0;
      if (package ? !v.has(rest) : slash == std::string::npos) {
        src_layout = true;
        break;
      }
    }
  TestPlan p{"python", "pytest", "python", "", "", "", "python"};
  std::string path_prefix = src_layout ? "PYTHONPATH=\"$PWD/src${PYTHONPATH:+:$PYTHONPATH}\" " : "";
  if (pytest || !unittest) {
    // pytest also runs unittest-style classes; its JUnit report has every case with its failure.
    d.test_systems.push_back("pytest");
    p.command = path_prefix + "python3 -m pytest -p no:cacheprovider -o junit_family=xunit1 --junitxml=/workspace/out/junit.xml";
    p.result_file = "junit.xml";
    p.result_format = "junit";
  } else {
    d.test_systems.push_back("unittest");
    p.runner = "unittest";
    p.command = path_prefix + "python3 -m unittest discover -v";
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
  // What installs the devDependencies (an npm script's tools): the lockfile says which package manager.
  std::string install = v.has("pnpm-lock.yaml")                                      ? "npx --yes pnpm install --frozen-lockfile"
                        : v.has("yarn.lock")                                         ? "npx --yes yarn install --frozen-lockfile"
                        : v.has("package-lock.json") || v.has("npm-shrinkwrap.json") ? "npm ci"
                                                                                     : "npm install";
  // `npm init` writes a test script that only fails; it means "no tests".
  if (!script.empty() && script.find("no test specified") == std::string::npos) {
    d.test_systems.push_back("npm test");
    // Node 20 and later print the spec reporter even to a pipe: a script that runs node --test also writes
    // TAP to a file (NODE_OPTIONS reaches it through npm); other runners' output is parsed.
    d.plans.push_back({"node", "npm", "node",
                       "NODE_OPTIONS=\"$NODE_OPTIONS --test-reporter=tap --test-reporter-destination=/workspace/out/results.tap "
                       "--test-reporter=spec --test-reporter-destination=stdout\" npm test",
                       "results.tap", "tap", "node", install});
  } else if (!tests.empty()) {
    d.test_systems.push_back("node --test");
    d.plans.push_back({"node", "node-test", "node",
                       "node --test --test-reporter=tap --test-reporter-destination=/workspace/out/results.tap "
                       "--test-reporter=spec --test-reporter-destination=stdout",
                       "results.tap", "tap", "node", has_pkg ? install : ""});
  }
}

void detect_go(const View& v, Detection& d) {
  if (v.has("go.mod")) {
    d.build_systems.push_back("go modules");
    d.test_systems.push_back("go test");
    d.plans.push_back({"go", "go", "go", "go test -json ./... > /workspace/out/go-test.json", "go-test.json", "go-json", "go"});
    return;
  }
  // A GOPATH-era repository: no go.mod, tests beside the code. Its own Makefile, if any, is preferred.
  bool tests = false;
  for (const auto& f : v.files())
    if (!in_vendored(f) && ends_with(f, "_test.go")) tests = true;
  if (!tests || v.has("Makefile") || v.has("makefile") || v.has("GNUmakefile")) return;
  d.build_systems.push_back("go (GOPATH, no go.mod)");
  d.test_systems.push_back("go test");
  d.plans.push_back(
      {"go", "go", "go", "GO111MODULE=off go test -json ./... > /workspace/out/go-test.json", "go-test.json", "go-json", "go"});
}

void detect_rust(const View& v, Detection& d) {
  if (!v.has("Cargo.toml")) return;
  d.build_systems.push_back("cargo");
  d.test_systems.push_back("cargo test");
  d.plans.push_back({"rust", "cargo", "rust", "cargo test --offline --color never 2>&1", "", "cargo", "rust"});
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
                     "junit.xml", "junit", ""});
}

void detect_meson(const View& v, Detection& d) {
  if (!v.has("meson.build")) return;
  d.build_systems.push_back("meson");
  bool tests = false;
  for (const auto& f : v.files())
    if (base_name(f) == "meson.build" && v.read(f).find("test(") != std::string::npos) tests = true;
  if (!tests) return;
  d.test_systems.push_back("meson test");
  // Meson writes a JUnit log of every test next to its other logs.
  d.plans.push_back(
      {"meson", "meson", "cpp",
       "meson setup /workspace/build >/workspace/out/meson-setup.log 2>&1 || { cat /workspace/out/meson-setup.log; exit 1; }; "
       "meson test -C /workspace/build --print-errorlogs; rc=$?; "
       "cp /workspace/build/meson-logs/testlog.junit.xml /workspace/out/junit.xml 2>/dev/null; exit $rc",
       "junit.xml", "junit", ""});
}

// The recipe of a target: the tab-indented lines after "target:" (and the prerequisites on that line).
std::string make_recipe(const std::string& makefile, const std::string& target) {
  std::smatch m;
  std::regex re("(^|\\n)" + target + "[ \\t]*:(?!=)([^\\n]*)");
  if (!std::regex_search(makefile, m, re)) return "";
  std::string out = m[2].str() + "\n";
  size_t pos = static_cast<size_t>(m.position(0) + m.length(0)) + 1;
  while (pos < makefile.size() && makefile[pos] == '\t') {
    size_t nl = makefile.find('\n', pos);
    out += makefile.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos + 1);
    pos = nl == std::string::npos ? makefile.size() : nl + 1;
  }
  return out;
}

// The language a Makefile's tests run in: what its test recipe calls, else what most of the files are.
std::string make_language(const std::string& makefile, const std::map<std::string, int>& weight) {
  static const std::pair<const char*, const char*> kTools[] = {{"go test", "go"},    {"go build", "go"},   {"cargo ", "rust"},
                                                               {"pytest", "python"}, {"python", "python"}, {"npm ", "node"},
                                                               {"node ", "node"}};
  for (const auto& [tool, lang] : kTools)
    if (makefile.find(tool) != std::string::npos) return lang;
  std::string best;
  int most = 0;
  for (const auto& [lang, n] : weight)
    if (n > most) most = n, best = lang;
  return best;
}

void detect_make(const View& v, Detection& d, const std::map<std::string, int>& weight) {
  for (const char* name : {"GNUmakefile", "makefile", "Makefile"}) {
    if (!v.has(name)) continue;
    d.build_systems.push_back("make");
    std::string mk = v.read(name);
    for (const char* target : {"test", "check"}) {
      if (!has_make_target(mk, target)) continue;
      d.test_systems.push_back(std::string("make ") + target);
      std::string lang = make_language(make_recipe(mk, target), weight);
      static const std::map<std::string, std::string> kTemplate = {{"go", "go"}, {"rust", "rust"}, {"python", "python"}, {"node", "node"}};
      auto tmpl = kTemplate.find(lang);
      std::string command = std::string("make ") + target;
      // Without go.mod, go commands only work in GOPATH mode.
      if (lang == "go" && !v.has("go.mod")) command = "GO111MODULE=off " + command;
      d.plans.push_back(
          {"make", "make", tmpl == kTemplate.end() ? "cpp" : tmpl->second, command, "", "exit-code", tmpl == kTemplate.end() ? "" : lang});
      return;
    }
    return;
  }
}

// Source files per runtime language, vendored folders left out: what the repository is written in.
std::map<std::string, int> language_weight(const View& v) {
  std::map<std::string, int> w;
  for (const auto& f : v.files()) {
    if (in_vendored(f)) continue;
    std::string lang = language_of(f);
    if (lang == "Go") ++w["go"];
    else if (lang == "Python") ++w["python"];
    else if (lang == "JavaScript" || lang == "TypeScript") ++w["node"];
    else if (lang == "Rust") ++w["rust"];
    else if (lang == "C" || lang == "C++") ++w[""];
  }
  return w;
}

}  // namespace

Detection detect(const Tree& tree) {
  View v(tree);
  Detection d;
  auto weight = language_weight(v);
  detect_python(v, d);
  detect_node(v, d);
  detect_go(v, d);
  detect_rust(v, d);
  detect_cmake(v, d);
  detect_meson(v, d);
  detect_make(v, d, weight);
  // A plan in the language most of the files are in goes first; the order above breaks ties.
  std::stable_sort(d.plans.begin(), d.plans.end(), [&](const TestPlan& a, const TestPlan& b) {
    auto w = [&](const TestPlan& p) {
      auto it = weight.find(p.language);
      return it == weight.end() ? 0 : it->second;
    };
    return w(a) > w(b);
  });
  return d;
}

TestPlan custom_plan(const std::string& command, const std::string& template_name) {
  return {"custom", "custom", template_name, command, "", "exit-code", ""};
}

}  // namespace orch::repo
