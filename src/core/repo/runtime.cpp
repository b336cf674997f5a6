#include "core/repo/runtime.hpp"

#include <algorithm>
#include <regex>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/repo/version_range.hpp"

namespace orch::repo {

namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n\"'"), b = s.find_last_not_of(" \t\r\n\"'");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::string first_line(const std::string& s) { return trim(s.substr(0, s.find('\n'))); }

// The first capture of `re` in the text, trimmed.
std::string find(const std::string& text, const std::regex& re) {
  std::smatch m;
  return std::regex_search(text, m, re) ? trim(m[1].str()) : "";
}

// nvm's names for Node's LTS lines.
std::string lts_major(const std::string& codename) {
  static const std::pair<const char*, const char*> kLts[] = {{"hydrogen", "18"}, {"iron", "20"}, {"jod", "22"}, {"krypton", "24"}};
  if (codename == "*") return ">=24";
  for (const auto& [name, major] : kLts)
    if (codename == name) return std::string(1, '^').append(major);
  return "";
}

// .nvmrc and .node-version pin a version a version manager would install: the same major, at least that.
std::string node_pin(const std::string& pin) {
  std::string p = pin;
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (p.rfind("lts/", 0) == 0) return lts_major(p.substr(4));
  if (p == "node" || p == "stable" || p == "current" || p == "latest") return "*";
  if (!Version::parse(p)) return "";
  return std::string(1, '^').append(p[0] == 'v' ? p.substr(1) : p);
}

void node_needs(const Tree& tree, std::vector<RuntimeNeed>& out) {
  auto pkg = nlohmann::json::parse(read_small_file(tree, "package.json"), nullptr, false);
  if (pkg.is_object() && pkg.contains("engines") && pkg["engines"].is_object() && pkg["engines"].contains("node") &&
      pkg["engines"]["node"].is_string())
    out.push_back({"node", pkg["engines"]["node"].get<std::string>(), "package.json engines.node"});
  for (const char* f : {".nvmrc", ".node-version"}) {
    std::string pin = first_line(read_small_file(tree, f));
    if (pin.empty()) continue;
    std::string range = node_pin(pin);
    out.push_back({"node", range.empty() ? pin : range, std::string(f) + " (" + pin + ")"});
  }
}

void python_needs(const Tree& tree, std::vector<RuntimeNeed>& out) {
  static const std::regex requires_python(R"((?:^|\n)\s*requires-python\s*=\s*["']([^"']+)["'])");
  static const std::regex poetry(R"(\[tool\.poetry\.dependencies\][^\[]*?\n\s*python\s*=\s*["']([^"']+)["'])");
  static const std::regex cfg(R"((?:^|\n)\s*python_requires\s*=\s*([^\n#]+))");
  static const std::regex setup_py(R"(python_requires\s*=\s*["']([^"']+)["'])");
  std::string py = read_small_file(tree, "pyproject.toml");
  if (auto v = find(py, requires_python); !v.empty()) out.push_back({"python", v, "pyproject.toml requires-python"});
  else if (auto p = find(py, poetry); !p.empty()) out.push_back({"python", p, "pyproject.toml [tool.poetry.dependencies] python"});
  if (auto v = find(read_small_file(tree, "setup.cfg"), cfg); !v.empty()) out.push_back({"python", v, "setup.cfg python_requires"});
  if (auto v = find(read_small_file(tree, "setup.py"), setup_py); !v.empty()) out.push_back({"python", v, "setup.py python_requires"});
  std::string pin = first_line(read_small_file(tree, ".python-version"));
  if (auto ver = Version::parse(pin); ver && ver->parts.size() >= 2)
    out.push_back({"python", "==" + std::to_string(ver->at(0)) + "." + std::to_string(ver->at(1)) + ".*", ".python-version (" + pin + ")"});
}

void go_needs(const Tree& tree, std::vector<RuntimeNeed>& out) {
  static const std::regex go_line(R"((?:^|\n)go\s+([0-9][0-9.a-z]*))");
  if (auto v = find(read_small_file(tree, "go.mod"), go_line); !v.empty()) out.push_back({"go", v, "go.mod go directive"});
}

void rust_needs(const Tree& tree, std::vector<RuntimeNeed>& out) {
  static const std::regex channel(R"(channel\s*=\s*["']([^"']+)["'])");
  static const std::regex msrv(R"((?:^|\n)\s*rust-version\s*=\s*["']([^"']+)["'])");
  if (auto v = find(read_small_file(tree, "rust-toolchain.toml"), channel); !v.empty())
    out.push_back({"rust", v, "rust-toolchain.toml channel"});
  std::string plain = read_small_file(tree, "rust-toolchain");
  if (auto v = plain.find('[') != std::string::npos ? find(plain, channel) : first_line(plain); !v.empty())
    out.push_back({"rust", v, "rust-toolchain"});
  if (auto v = find(read_small_file(tree, "Cargo.toml"), msrv); !v.empty()) out.push_back({"rust", v, "Cargo.toml rust-version"});
}

std::string describe(const RuntimeNeed& n) { return n.origin + " needs " + n.language + " " + n.constraint; }

}  // namespace

std::vector<RuntimeNeed> declared_runtimes(const Tree& tree) {
  std::vector<RuntimeNeed> out;
  node_needs(tree, out);
  python_needs(tree, out);
  go_needs(tree, out);
  rust_needs(tree, out);
  return out;
}

std::optional<bool> satisfies(const RuntimeNeed& need, const std::string& version) {
  auto v = Version::parse(version);
  if (!v) return std::nullopt;
  const std::string& c = need.constraint;
  if (need.language == "node") return npm_range_satisfied(c, *v);
  if (need.language == "python") {
    // Poetry writes npm-like carets and tildes; PEP 440 writes "~=".
    bool poetry = c.find('^') != std::string::npos || (c.find('~') != std::string::npos && c.find("~=") == std::string::npos);
    if (poetry) {
      std::string spaced = c;
      std::replace(spaced.begin(), spaced.end(), ',', ' ');
      return npm_range_satisfied(spaced, *v);
    }
    return pep440_satisfied(c, *v);
  }
  // Go and Rust build code written for older releases: the declared version is a minimum.
  if (need.language == "rust" && (c == "stable" || c.rfind("stable-", 0) == 0)) return true;
  if (need.language == "rust" && (c.rfind("nightly", 0) == 0 || c.rfind("beta", 0) == 0)) return false;
  auto min = Version::parse(c);
  if (!min) return std::nullopt;
  return compare(*v, *min) >= 0;
}

RuntimeChoice choose_template(const templates::Store& store, const std::string& preferred, const std::string& language,
                              const std::vector<RuntimeNeed>& all_needs) {
  RuntimeChoice choice;
  std::vector<RuntimeNeed> needs;
  for (const auto& n : all_needs)
    if (n.language == language) needs.push_back(n);
  auto fits = [&](const templates::Template& t) {
    const auto* lang = t.language(language);
    if (!lang) return false;
    for (const auto& n : needs) {
      auto ok = satisfies(n, lang->version);
      if (ok && !*ok) return false;
    }
    return true;
  };
  for (const auto& n : needs)
    if (!satisfies(n, "1.0.0")) choice.warnings.push_back(n.origin + " '" + n.constraint + "' could not be read; ignored");
  const auto* pref = store.find(preferred);
  if (needs.empty() || (pref && fits(*pref))) {
    choice.template_name = preferred;
    return choice;
  }
  const templates::Template* best = nullptr;
  std::string offered;
  for (const auto* tp : store.all()) {  // pointers into the store: `best` outlives the loop
    const auto& t = *tp;
    const auto* lang = t.language(language);
    if (!lang || lang->version.empty()) continue;
    offered += (offered.empty() ? "" : ", ") + lang->version + " (" + t.name + ")";
    if (!fits(t)) continue;
    auto a = Version::parse(lang->version);
    auto b = best ? Version::parse(best->language(language)->version) : std::nullopt;
    if (!best || (a && b && compare(*a, *b) < 0)) best = &t;
  }
  if (best) {
    choice.template_name = best->name;
    return choice;
  }
  std::string why;
  for (const auto& n : needs) why += (why.empty() ? "" : "; ") + describe(n);
  choice.problem = why + ", and no template has it (templates offer " + language + " " + (offered.empty() ? "none" : offered) +
                   "): add a template with a matching version, or pass --template to run anyway";
  return choice;
}

}  // namespace orch::repo
