#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/repo/tree.hpp"
#include "core/templates/template.hpp"

namespace orch::repo {

// A runtime version a repository declares it needs: `engines.node` in package.json, .nvmrc,
// .node-version, requires-python (pyproject.toml, setup.cfg, setup.py), .python-version, go.mod's
// `go` line, rust-toolchain(.toml) and Cargo.toml's rust-version.
struct RuntimeNeed {
  std::string language;    // node | python | go | rust (the template language it constrains)
  std::string constraint;  // as written, e.g. ">=20", "^3.10", "1.21"
  std::string origin;      // where it was read, e.g. "package.json engines.node"
};

// Reads the declarations of the checkout's root (small files only; nothing runs).
std::vector<RuntimeNeed> declared_runtimes(const Tree& tree);

// Whether `version` ("20.11.1") satisfies the declaration, with each ecosystem's own rules: npm semver
// ranges for node, PEP 440 specifiers for python, a minimum for go and rust. nullopt when the
// declaration cannot be read (it is then ignored, with a warning).
std::optional<bool> satisfies(const RuntimeNeed& need, const std::string& version);

struct RuntimeChoice {
  std::string template_name;          // "" = no template satisfies every need
  std::vector<std::string> warnings;  // declarations that could not be read
  std::string problem;                // why nothing fits, naming the needs and the versions on offer
};

// The template to run `language` in: `preferred` when it satisfies every need of that language, else the
// template offering the language at the lowest version that does.
RuntimeChoice choose_template(const templates::Store& store, const std::string& preferred, const std::string& language,
                              const std::vector<RuntimeNeed>& needs);

}  // namespace orch::repo
