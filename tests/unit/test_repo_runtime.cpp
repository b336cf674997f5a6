#include <doctest/doctest.h>

#include "core/repo/runtime.hpp"
#include "core/repo/version_range.hpp"

using namespace orch::repo;

namespace {

bool npm(const std::string& range, const std::string& v) { return npm_range_satisfied(range, *Version::parse(v)).value(); }
bool pep(const std::string& spec, const std::string& v) { return pep440_satisfied(spec, *Version::parse(v)).value(); }

orch::templates::Template tmpl(const std::string& name, const std::string& lang, const std::string& version) {
  orch::templates::Template t;
  t.name = name;
  orch::templates::Language l;
  l.name = lang;
  l.version = version;
  t.languages.push_back(l);
  return t;
}

}  // namespace

TEST_CASE("npm semver ranges as package.json engines write them") {
  CHECK_FALSE(npm(">=20", "18.20.4"));
  CHECK(npm(">=20", "24.22.3"));
  CHECK(npm(">= 18.17", "18.20.4"));
  CHECK(npm("^18.17.0 || >=20.5.0", "24.22.3"));
  CHECK_FALSE(npm("^20.11", "24.22.3"));
  CHECK(npm("20.x", "20.1.0"));
  CHECK_FALSE(npm("20", "24.0.0"));
  CHECK(npm("16 - 20", "20.9.9"));
  CHECK_FALSE(npm("16 - 20", "21.0.0"));
  CHECK(npm("~18.19", "18.20.4") == false);
  CHECK(npm("*", "1.0.0"));
  CHECK(npm(">16 <19", "18.20.4"));
  CHECK_FALSE(npm_range_satisfied("banana", *Version::parse("18.0.0")).has_value());
}

TEST_CASE("PEP 440 specifiers as requires-python writes them") {
  CHECK(pep(">=3.9", "3.11.2"));
  CHECK_FALSE(pep(">=3.12", "3.11.2"));
  CHECK(pep(">=3.8,<4", "3.11.2"));
  CHECK(pep("~=3.10", "3.11.2"));
  CHECK_FALSE(pep("~=3.10.1", "3.11.2"));
  CHECK(pep("==3.11.*", "3.11.2"));
  CHECK_FALSE(pep("!=3.11.*", "3.11.2"));
}

TEST_CASE("declarations are judged by each ecosystem's rules, and the template that fits is chosen") {
  CHECK(satisfies({"go", "1.19", ""}, "1.19.8").value());
  CHECK_FALSE(satisfies({"go", "1.21", ""}, "1.19.8").value());
  CHECK(satisfies({"rust", "stable", ""}, "1.63.0").value());
  CHECK_FALSE(satisfies({"rust", "nightly-2024-01-01", ""}, "1.63.0").value());
  CHECK_FALSE(satisfies({"rust", "1.70", ""}, "1.63.0").value());
  CHECK(satisfies({"python", "^3.9", ""}, "3.11.2").value());  // Poetry's caret
  auto store = orch::templates::Store::from(
      {tmpl("node", "node", "18.20.4"), tmpl("node24", "node", "24.22.3"), tmpl("python", "python", "3.11.2")});
  CHECK(choose_template(store, "node", "node", {{"node", ">=20", "package.json engines.node"}}).template_name == "node24");
  CHECK(choose_template(store, "node", "node", {{"node", ">=18", "x"}}).template_name == "node");
  CHECK(choose_template(store, "node", "node", {{"python", ">=3.12", "x"}}).template_name == "node");
  auto none = choose_template(store, "node", "node", {{"node", "^20", ".nvmrc (lts/iron)"}});
  CHECK(none.template_name.empty());
  CHECK(none.problem.find(".nvmrc (lts/iron) needs node ^20") == 0);
  CHECK(none.problem.find("18.20.4 (node), 24.22.3 (node24)") != std::string::npos);
  auto unreadable = choose_template(store, "node", "node", {{"node", "banana", "package.json engines.node"}});
  CHECK(unreadable.template_name == "node");
  CHECK(unreadable.warnings.size() == 1);
}
