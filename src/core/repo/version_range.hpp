#pragma once
#include <optional>
#include <string>
#include <vector>

namespace orch::repo {

// A dotted version as runtimes print it ("v20.11.1", "3.11.2", "1.21rc1" -> 1.21); `parts` holds only
// the numbers written, so "20" and "20.0.0" differ in precision.
struct Version {
  std::vector<int> parts;
  static std::optional<Version> parse(std::string text);
  int at(size_t i) const { return i < parts.size() ? parts[i] : 0; }
};
int compare(const Version& a, const Version& b);  // on three components, missing ones being 0

// npm's semver ranges (`>=20`, `^18.17 || >=20.5`, `20.x`, `1.2 - 2`, `~3.1`). nullopt when unreadable.
std::optional<bool> npm_range_satisfied(const std::string& range, const Version& v);
// PEP 440 version specifiers (`>=3.9,<4`, `~=3.10`, `==3.11.*`, `!=3.9.*`). nullopt when unreadable.
std::optional<bool> pep440_satisfied(const std::string& spec, const Version& v);

}  // namespace orch::repo
