#include "core/repo/analyze.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "core/error.hpp"
#include "core/repo/detect.hpp"
#include "core/repo/tree.hpp"

namespace orch::repo {

namespace {

int64_t count_lines(const std::string& data) {
  if (data.empty()) return 0;
  int64_t n = std::count(data.begin(), data.end(), '\n');
  return data.back() == '\n' ? n : n + 1;
}

bool is_binary(const std::string& data) { return data.substr(0, 8000).find('\0') != std::string::npos; }

void entry_points(const Tree& tree, std::vector<std::string>& out) {
  auto add = [&](const std::string& s) {
    if (std::find(out.begin(), out.end(), s) == out.end() && out.size() < 50) out.push_back(s);
  };
  for (const auto& e : tree.entries) {
    if (e.kind != TreeEntry::Kind::File || e.path.find("node_modules/") != std::string::npos) continue;
    std::string b = base_name(e.path);
    if (b == "__main__.py" || b == "manage.py" || (b == "main.py" && e.path.find('/') == std::string::npos)) add(e.path);
    if (e.path == "src/main.rs" || (e.path.rfind("src/bin/", 0) == 0 && b.size() > 3 && b.substr(b.size() - 3) == ".rs")) add(e.path);
    if (b == "main.go" || b == "main.c" || b == "main.cpp" || b == "main.cc") add(e.path);
    if (b == "Dockerfile" && e.path.find('/') == std::string::npos) add("Dockerfile");
  }
  // Declared entry points count only when the checkout has them: build outputs ("./dist/index.cjs") are absent.
  std::set<std::string> files;
  for (const auto& e : tree.entries)
    if (e.kind == TreeEntry::Kind::File) files.insert(e.path);
  auto node_file = [&](std::string p) {
    while (p.rfind("./", 0) == 0) p = p.substr(2);
    for (const char* suffix : {"", ".js", ".cjs", ".mjs", "/index.js"})
      if (files.count(p + suffix)) return true;
    return false;
  };
  auto python_module = [&](const std::string& target) {
    std::string mod = target.substr(0, target.find(':'));
    std::replace(mod.begin(), mod.end(), '.', '/');
    for (const char* root : {"", "src/", "lib/"})
      if (files.count(root + mod + ".py") || files.count(root + mod + "/__init__.py")) return true;
    return false;
  };
  auto pkg = nlohmann::json::parse(read_small_file(tree, "package.json", 1 << 20), nullptr, false);
  if (pkg.is_object()) {
    if (pkg.contains("main") && pkg["main"].is_string() && node_file(pkg["main"].get<std::string>()))
      add(pkg["main"].get<std::string>() + " (package.json main)");
    if (pkg.contains("bin") && pkg["bin"].is_string() && node_file(pkg["bin"].get<std::string>()))
      add(pkg["bin"].get<std::string>() + " (package.json bin)");
    if (pkg.contains("bin") && pkg["bin"].is_object())
      for (auto& [k, v] : pkg["bin"].items())
        if (v.is_string() && node_file(v.get<std::string>())) add(k + " -> " + v.get<std::string>() + " (package.json bin)");
  }
  // [project.scripts] in pyproject.toml: name = "module:function"
  std::string py = read_small_file(tree, "pyproject.toml", 1 << 20);
  auto at = py.find("[project.scripts]");
  if (at != std::string::npos) {
    static const std::regex line(R"(^\s*([A-Za-z0-9_.-]+)\s*=\s*["']([^"']+)["'])");
    size_t pos = py.find('\n', at);
    while (pos != std::string::npos && pos + 1 < py.size() && py[pos + 1] != '[') {
      size_t nl = py.find('\n', pos + 1);
      std::string l = py.substr(pos + 1, nl == std::string::npos ? std::string::npos : nl - pos - 1);
      std::smatch m;
      if (std::regex_search(l, m, line) && python_module(m[2].str())) add(m[1].str() + " -> " + m[2].str() + " (pyproject scripts)");
      pos = nl;
    }
  }
}

}  // namespace

std::string language_of(const std::string& path) {
  static const std::map<std::string, std::string> by_ext = {
      {".py", "Python"}, {".pyi", "Python"}, {".js", "JavaScript"}, {".mjs", "JavaScript"}, {".cjs", "JavaScript"},
      {".jsx", "JavaScript"}, {".ts", "TypeScript"}, {".tsx", "TypeScript"}, {".go", "Go"}, {".rs", "Rust"},
      {".c", "C"}, {".h", "C"}, {".cc", "C++"}, {".cpp", "C++"}, {".cxx", "C++"}, {".hpp", "C++"}, {".hh", "C++"},
      {".hxx", "C++"}, {".java", "Java"}, {".kt", "Kotlin"}, {".kts", "Kotlin"}, {".scala", "Scala"}, {".cs", "C#"},
      {".rb", "Ruby"}, {".php", "PHP"}, {".swift", "Swift"}, {".m", "Objective-C"}, {".sh", "Shell"}, {".bash", "Shell"},
      {".zsh", "Shell"}, {".ps1", "PowerShell"}, {".lua", "Lua"}, {".pl", "Perl"}, {".r", "R"}, {".R", "R"},
      {".dart", "Dart"}, {".ex", "Elixir"}, {".exs", "Elixir"}, {".erl", "Erlang"}, {".hs", "Haskell"}, {".ml", "OCaml"},
      {".clj", "Clojure"}, {".zig", "Zig"}, {".nim", "Nim"}, {".sql", "SQL"}, {".html", "HTML"}, {".htm", "HTML"},
      {".css", "CSS"}, {".scss", "SCSS"}, {".vue", "Vue"}, {".svelte", "Svelte"}, {".md", "Markdown"},
      {".rst", "reStructuredText"}, {".json", "JSON"}, {".yml", "YAML"}, {".yaml", "YAML"}, {".toml", "TOML"},
      {".xml", "XML"}, {".cmake", "CMake"}, {".mk", "Makefile"}, {".proto", "Protocol Buffers"}, {".tf", "HCL"}};
  std::string b = base_name(path);
  if (b == "Makefile" || b == "makefile" || b == "GNUmakefile") return "Makefile";
  if (b == "Dockerfile" || b.rfind("Dockerfile.", 0) == 0) return "Dockerfile";
  if (b == "CMakeLists.txt") return "CMake";
  auto dot = b.rfind('.');
  if (dot == std::string::npos || dot == 0) return "";
  auto it = by_ext.find(b.substr(dot));
  return it == by_ext.end() ? "" : it->second;
}

Analysis analyze_tree(const Tree& tree, const std::string& git_dir, size_t top_n) {
  Analysis a;
  std::map<std::string, LanguageStat> langs;
  std::vector<std::pair<std::string, int64_t>> sizes;
  for (const auto& e : tree.entries) {
    if (e.kind == TreeEntry::Kind::Dir) ++a.folders;
    if (e.kind == TreeEntry::Kind::Symlink) ++a.symlinks;
    if (e.kind != TreeEntry::Kind::File) continue;
    ++a.files;
    a.bytes += e.size;
    sizes.emplace_back(e.path, e.size);
    std::string lang = language_of(e.path);
    if (lang.empty()) continue;
    auto& s = langs[lang];
    s.name = lang;
    ++s.files;
    s.bytes += e.size;
    if (e.size > (8 << 20)) continue;  // generated or vendored blobs: counted in bytes, not read
    try {
      std::string data = read_tree_file(tree.root, e.path, 8 << 20);
      if (!is_binary(data)) s.lines += count_lines(data);
    } catch (const Error&) {
    }
  }
  for (auto& [_, s] : langs) a.languages.push_back(s);
  std::sort(a.languages.begin(), a.languages.end(), [](const LanguageStat& x, const LanguageStat& y) {
    return x.lines != y.lines ? x.lines > y.lines : x.name < y.name;
  });
  std::sort(sizes.begin(), sizes.end(), [](const auto& x, const auto& y) { return x.second != y.second ? x.second > y.second : x.first < y.first; });
  if (sizes.size() > top_n) sizes.resize(top_n);
  a.largest_files = sizes;
  Detection d = detect(tree);
  a.build_systems = d.build_systems;
  a.test_systems = d.test_systems;
  entry_points(tree, a.entry_points);
  if (!git_dir.empty()) a.last_commit = last_commit(git_dir);
  a.commit = a.last_commit.sha;
  return a;
}

nlohmann::json to_json(const Analysis& a) {
  nlohmann::json langs = nlohmann::json::array();
  for (const auto& l : a.languages) langs.push_back({{"name", l.name}, {"files", l.files}, {"lines", l.lines}, {"bytes", l.bytes}});
  nlohmann::json largest = nlohmann::json::array();
  for (const auto& [p, s] : a.largest_files) largest.push_back({{"path", p}, {"bytes", s}});
  nlohmann::json commit = nullptr;
  if (!a.last_commit.sha.empty())
    commit = {{"sha", a.last_commit.sha}, {"author", a.last_commit.author}, {"email", a.last_commit.email},
              {"date", a.last_commit.date}, {"message", a.last_commit.subject}};
  return {{"source", a.source}, {"commit", a.commit}, {"files", a.files}, {"folders", a.folders}, {"symlinks", a.symlinks},
          {"bytes", a.bytes}, {"languages", langs}, {"build_systems", a.build_systems}, {"test_systems", a.test_systems},
          {"entry_points", a.entry_points}, {"last_commit", commit}, {"largest_files", largest}};
}

}  // namespace orch::repo
