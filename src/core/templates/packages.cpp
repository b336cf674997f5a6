#include "core/templates/packages.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <regex>

#include "core/templates/build.hpp"
#include "core/util/hash.hpp"
#include "core/util/sh_quote.hpp"
#include "core/util/shown.hpp"

namespace orch::templates {

namespace {

constexpr size_t kMaxPackages = 32;
constexpr const char* kFailed = "orch-package-failed ";  // what a failed step prints before the package
constexpr const char* kLabelDerived = "orch.derived";

// Names as the package managers spell them; anything else (quotes, spaces, options) is refused,
// which also keeps every name safe inside the Dockerfile's shell lines.
const std::map<std::string, std::regex>& name_rules() {
  static const std::map<std::string, std::regex> rules = {
      {"apt", std::regex(R"([a-z0-9][a-z0-9+.-]{0,127}(=[A-Za-z0-9.+~:*-]{1,64})?)")},
      {"npm", std::regex(R"((@[a-z0-9][a-z0-9._~-]{0,63}/)?[a-z0-9][a-z0-9._~-]{0,127}(@[A-Za-z0-9.^~*<>=-]{1,64})?)")},
      {"pip", std::regex(R"([A-Za-z0-9][A-Za-z0-9._-]{0,127}((==|>=|<=|~=)[A-Za-z0-9.*+!-]{1,64})?)")},
  };
  return rules;
}

// A build step that fails names the package in its output. The marker is split in the Dockerfile
// ('a''b' is ab to the shell), so the echoed step line itself never carries it.
std::string fail(const std::string& what) { return "{ echo 'orch-package''-failed " + what + "'; exit 1; }"; }

// Shell assignments (NAME='value' ) of the index settings a step's installer reads.
std::string assignments(const std::map<std::string, std::string>& index_env, const char* prefix) {
  std::string out;
  for (const auto& [k, v] : index_env) {
    if (k.rfind(prefix, 0) != 0) continue;
    out += k + "=" + sh_quote(v) + " ";
  }
  return out;
}

std::string install_lines(const std::vector<Package>& pkgs, bool ca, const std::map<std::string, std::string>& index_env) {
  std::vector<std::string> apt, npm, pip;
  for (const auto& p : pkgs) (p.manager == "apt" ? apt : p.manager == "npm" ? npm : pip).push_back(p.name);
  std::string df;
  if (!apt.empty()) {
    std::string names;
    for (const auto& n : apt) names += " '" + n + "'";
    // Each name is looked up first, so a missing one is named rather than lost in apt's output.
    df += "RUN export DEBIAN_FRONTEND=noninteractive; apt-get update -qq || " +
          fail("apt:* (apt-get update failed: no package index reachable)") + "; for p in" + names +
          "; do apt-cache show \"${p%%=*}\" >/dev/null 2>&1 || { echo \"orch-package\"\"-failed apt:$p (no such package)\"; exit 1; }; "
          "done; apt-get install -y -qq --no-install-recommends" +
          names + " || " + fail("apt:*") + "; rm -rf /var/lib/apt/lists/*\n";
  }
  // npm and pip reach their registries over TLS through whatever the host trusts (a proxy's CA too).
  if (ca && (!npm.empty() || !pip.empty())) df += "COPY orch-ca.crt /tmp/orch-ca.crt\n";
  std::string cafile = ca ? " --cafile /tmp/orch-ca.crt" : "", cert = ca ? " --cert /tmp/orch-ca.crt" : "";
  for (const auto& n : npm)
    df += "RUN command -v npm >/dev/null || " + fail("npm:" + n + " (the image has no npm)") + "; " + assignments(index_env, "NPM_") +
          "npm install -g --prefix /opt/orch/npm --ignore-scripts --no-audit --no-fund --cache /tmp/orch-npm" + cafile + " '" + n +
          "' || " + fail("npm:" + n) + "; rm -rf /tmp/orch-npm\n";
  if (!npm.empty()) df += "ENV NODE_PATH=/opt/orch/npm/lib/node_modules PATH=/opt/orch/npm/bin:$PATH\n";
  // An image with python3 but no pip (orch's own templates) gets Debian's pip in the derived image
  // only. The step names no package, so every derived image of a base shares its build cache.
  if (!pip.empty())
    df += "RUN command -v python3 >/dev/null || " + fail("pip:* (the image has no python3)") +
          "; python3 -m pip --version >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && "
          "apt-get install -y -qq --no-install-recommends python3-pip && rm -rf /var/lib/apt/lists/*; } || " +
          fail("pip:* (the image has no pip, and apt could not install python3-pip)") + "\n";
  for (const auto& n : pip)
    df += "RUN " + assignments(index_env, "PIP_") + "python3 -m pip install --no-cache-dir --only-binary=:all: --break-system-packages" +
          cert + " '" + n + "' || " + fail("pip:" + n) + "\n";
  if (ca && (!npm.empty() || !pip.empty())) df += "RUN rm -f /tmp/orch-ca.crt\n";
  return df;
}

// A build output line without terminal colour codes and other control bytes.
std::string printable(const std::string& line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\x1b') {
      while (i < line.size() && !std::isalpha(static_cast<unsigned char>(line[i]))) ++i;  // ESC [ ... letter
      continue;
    }
    if (static_cast<unsigned char>(line[i]) >= 0x20) out += line[i];
  }
  return out;
}

// The host's CA bundle (empty when it is missing, unreadable or oddly large).
std::string read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return data.size() < (4u << 20) ? data : "";
}

std::string joined(const std::vector<Package>& pkgs) {
  std::string s;
  for (const auto& p : pkgs) {
    if (!s.empty()) s += ' ';
    s += p.spec();
  }
  return s;
}

}  // namespace

std::vector<Package> parse_packages(const std::vector<std::string>& specs) {
  std::vector<Package> out;
  for (const auto& s : specs) {
    auto colon = s.find(':');
    std::string mgr = colon == std::string::npos ? "" : s.substr(0, colon);
    auto rule = name_rules().find(mgr);
    if (rule == name_rules().end())
      throw Error(ErrorKind::BadInput,
                  "package '" + shown(s, 100) + "' must be MANAGER:NAME with MANAGER apt, npm or pip (e.g. npm:left-pad)");
    std::string name = s.substr(colon + 1);
    if (!std::regex_match(name, rule->second))
      throw Error(ErrorKind::BadInput, "package '" + shown(s, 100) + "' is not a valid " + mgr + " package name");
    out.push_back(Package{mgr, name});
  }
  std::sort(out.begin(), out.end(), [](const Package& a, const Package& b) { return a.spec() < b.spec(); });
  out.erase(std::unique(out.begin(), out.end(), [](const Package& a, const Package& b) { return a.spec() == b.spec(); }), out.end());
  if (out.size() > kMaxPackages) throw Error(ErrorKind::BadInput, "at most " + std::to_string(kMaxPackages) + " packages");
  return out;
}

std::map<std::string, std::string> index_settings() {
  std::map<std::string, std::string> out;
  for (const char* var : {"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "NPM_CONFIG_REGISTRY"}) {
    const char* v = std::getenv(var);
    if (!v || !*v) continue;
    std::string value(v);
    // One line of printable text: a Dockerfile step ends at a newline.
    if (value.size() > 2000 || std::any_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
      throw Error(ErrorKind::BadInput, std::string(var) + " must be one line of at most 2000 characters");
    out[var] = value;
  }
  return out;
}

std::string derived_dockerfile(const Template& base, const std::vector<Package>& packages, bool with_ca,
                               const std::map<std::string, std::string>& index_env) {
  return "# " + base.name + " with " + joined(packages) + " (made by orch)\nFROM " + base.image + "\nUSER 0:0\n" +
         install_lines(packages, with_ca, index_env) + "USER " + base.user + "\n";
}

std::map<std::string, std::string> derived_build_files(const Template& base, const std::vector<Package>& packages) {
  std::string ca;
  for (const char* var : {"NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"})
    if (const char* path = std::getenv(var); path && *path && ca.empty()) ca = read_small_file(path);
  if (ca.empty()) ca = read_small_file("/etc/ssl/certs/ca-certificates.crt");
  std::map<std::string, std::string> files = {{"Dockerfile", derived_dockerfile(base, packages, !ca.empty(), index_settings())}};
  if (!ca.empty()) files["orch-ca.crt"] = ca;
  return files;
}

std::string derived_tag(const std::string& base_image_id, const std::vector<Package>& packages) {
  return "orch/with:" + stable_hash_hex(base_image_id + "\n" + joined(packages));
}

const Template& with_packages(engine::Engine& engine, const Template& base, const std::vector<Package>& packages,
                              const std::function<void(const std::string&)>& on_line) {
  if (!engine.capabilities().builds_images)
    throw Error(ErrorKind::BadInput,
                "this engine does not build images, so packages cannot be added to a template here: build "
                "a template with them (orch templates build) where Docker runs and push its image");
  static std::mutex made_mu;   // guards `made`, whose templates are never removed
  static std::mutex build_mu;  // one build at a time; a second run with the same packages waits and reuses it
  static std::map<std::string, std::unique_ptr<Template>> made;
  auto image = engine.image(base.image);
  if (!image) throw not_built(base);
  std::string tag = derived_tag(image->id.empty() ? base.image : image->id, packages);
  const Template* derived = nullptr;
  {
    std::lock_guard<std::mutex> lock(made_mu);
    auto& slot = made[tag];
    if (!slot) {
      slot = std::make_unique<Template>(base);
      slot->image = tag;
      slot->source = "derived from " + base.name;
      for (const auto& p : packages) slot->packages.push_back(p.spec());
    }
    derived = slot.get();
  }
  if (engine.image_exists(tag)) return *derived;  // built before: no wait behind another build
  std::lock_guard<std::mutex> lock(build_mu);
  if (engine.image_exists(tag)) return *derived;  // built while this one waited
  on_line("building " + tag + ": " + base.name + " with " + joined(packages));
  // The build files (a Dockerfile and the host's CA bundle, ~200 KB) live only as long as the build:
  // `made` keeps one entry per package list ever asked for, failed builds included.
  Template build = *derived;
  build.files = derived_build_files(base, packages);
  build_with_packages(engine, build, {{"orch.template", base.name}, {kLabelDerived, "1"}, {"orch.packages", joined(packages)}}, on_line);
  return *derived;
}

void build_with_packages(engine::Engine& engine, const Template& t, const std::map<std::string, std::string>& labels,
                         const std::function<void(const std::string&)>& on_line) {
  std::deque<std::string> recent;
  std::string failed;
  try {
    build_files(engine, t.files, t.image, labels, [&](const std::string& line) {
      if (auto at = line.find(kFailed); at != std::string::npos && failed.empty()) failed = line.substr(at + std::string(kFailed).size());
      recent.push_back(line);
      if (recent.size() > 8) recent.pop_front();
      on_line(line);
    });
  } catch (const Error& e) {
    if (failed.empty()) throw;
    std::string tail;
    for (const auto& l : recent)
      if (l.find(kFailed) == std::string::npos && l.rfind("Step ", 0) != 0) tail += (tail.empty() ? "" : " | ") + printable(l);
    throw PackageError(failed.substr(0, failed.find(' ')),
                       "package " + failed + " cannot be installed on " + t.name + (tail.empty() ? "" : ": " + tail.substr(0, 600)));
  }
}

std::vector<std::string> prune_derived(engine::Engine& engine) {
  std::vector<std::string> removed;
  for (const auto& img : engine.images({{kLabelDerived, "1"}}))
    for (const auto& tag : img.tags)
      if (engine.remove_image(tag)) removed.push_back(tag);  // one a sandbox still uses stays
  return removed;
}

}  // namespace orch::templates
