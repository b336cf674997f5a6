#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.hpp"
#include "core/repo/clone.hpp"
#include "core/repo/detect.hpp"
#include "core/repo/tree.hpp"
#include "core/util/tar.hpp"

using namespace orch::repo;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << data;
}

}  // namespace

TEST_CASE("tar: symlinks round-trip, long targets included") {
  orch::tar::Writer w;
  w.add_symlink("a/link", "../b");
  std::string long_target(150, 'x');
  w.add_symlink("long", long_target);
  auto entries = orch::tar::read(w.finish());
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].type == orch::tar::EntryType::Symlink);
  CHECK(entries[0].link == "../b");
  CHECK(entries[1].link == long_target);
}

TEST_CASE("link_stays_inside") {
  CHECK(link_stays_inside("a", "b"));
  CHECK(link_stays_inside("d/a", "../b"));
  CHECK(link_stays_inside("d/e/a", "../../b/c"));
  CHECK_FALSE(link_stays_inside("a", "/etc/passwd"));
  CHECK_FALSE(link_stays_inside("a", ".."));
  CHECK_FALSE(link_stays_inside("d/a", "../../x"));
  CHECK_FALSE(link_stays_inside("a", ""));
  // Through another link, whose landing place is unknown: refused.
  CHECK_FALSE(link_stays_inside("b", "up/../x", {"up"}));
  CHECK(link_stays_inside("b", "up", {"up"}));
}

TEST_CASE("walk_tree and pack_tree never follow links and drop ones leaving the tree") {
  TempDir tmp("unit");
  fs::path root = fs::path(tmp.path()) / "r";
  write(root / "src/main.py", "print(1)\n");
  write(root / "run.sh", "#!/bin/sh\n");
  fs::permissions(root / "run.sh", fs::perms::owner_exec, fs::perm_options::add);
  write(root / ".git/config", "[core]\n");
  write(fs::path(tmp.path()) / "secret.txt", "host secret");
  fs::create_symlink("src/main.py", root / "inside");
  fs::create_symlink("../secret.txt", root / "outside");
  fs::create_symlink("/etc", root / "etc");
  auto tree = walk_tree(root.string());
  std::vector<std::string> paths;
  for (const auto& e : tree.entries) paths.push_back(e.path);
  CHECK(paths == std::vector<std::string>{"etc", "inside", "outside", "run.sh", "src", "src/main.py"});
  std::vector<std::string> warnings;
  auto entries = orch::tar::read(pack_tree(tree, "src/", warnings));
  CHECK(warnings.size() == 2);
  bool saw_inside = false, saw_outside = false, exec = false;
  for (const auto& e : entries) {
    if (e.path == "src/inside") saw_inside = e.type == orch::tar::EntryType::Symlink && e.link == "src/main.py";
    if (e.path == "src/outside" || e.path == "src/etc") saw_outside = true;
    if (e.path == "src/run.sh") exec = (e.mode & 0111) != 0;
    CHECK(std::string(e.data).find("host secret") == std::string::npos);
  }
  CHECK(saw_inside);
  CHECK_FALSE(saw_outside);
  CHECK(exec);
  CHECK_THROWS_AS(read_tree_file(root.string(), "outside"), orch::Error);
  CHECK_THROWS_AS(read_tree_file(root.string(), "../secret.txt"), orch::Error);
  CHECK(read_tree_file(root.string(), "src/main.py") == "print(1)\n");
  CHECK(disk_usage(root.string()) > 0);
}

TEST_CASE("TempDir removes itself, and not what its links point at") {
  std::string path;
  TempDir keep("unit-keep");
  write(fs::path(keep.path()) / "precious", "x");
  {
    TempDir t("unit");
    path = t.path();
    fs::create_symlink(keep.path(), fs::path(path) / "link");
  }
  CHECK_FALSE(fs::exists(path));
  CHECK(fs::exists(fs::path(keep.path()) / "precious"));
}

TEST_CASE("detect: stacks and their test commands") {
  TempDir tmp("unit");
  int counter = 0;
  auto plan_for = [&](const std::map<std::string, std::string>& files) {
    fs::path root = fs::path(tmp.path()) / std::to_string(counter++);
    for (const auto& [p, d] : files) write(root / p, d);
    return detect(walk_tree(root.string()));
  };
  auto py = plan_for({{"test_a.py", "import pytest\n"}});
  REQUIRE(py.plans.size() == 1);
  CHECK(py.plans[0].runner == "pytest");
  CHECK(py.plans[0].result_format == "junit");
  auto ut = plan_for({{"tests/test_a.py", "import unittest\n"}});
  CHECK(ut.plans[0].runner == "unittest");
  auto npm = plan_for({{"package.json", R"({"scripts":{"test":"node --test"}})"}});
  CHECK(npm.plans[0].command.find("--test-reporter-destination=/workspace/out/results.tap") != std::string::npos);
  CHECK(npm.plans[0].command.substr(npm.plans[0].command.size() - 9) == " npm test");
  CHECK(npm.plans[0].result_file == "results.tap");
  CHECK(npm.plans[0].install == "npm install");  // no lockfile: npm ci would refuse
  const std::string pkg = R"({"scripts":{"test":"jest"}})";
  CHECK(plan_for({{"package.json", pkg}, {"package-lock.json", "{}"}}).plans[0].install == "npm ci");
  CHECK(plan_for({{"package.json", pkg}, {"pnpm-lock.yaml", ""}}).plans[0].install == "npx --yes pnpm install --frozen-lockfile");
  CHECK(plan_for({{"package.json", pkg}, {"yarn.lock", ""}}).plans[0].install == "npx --yes yarn install --frozen-lockfile");
  auto placeholder = plan_for({{"package.json", R"({"scripts":{"test":"echo \"Error: no test specified\" && exit 1"}})"},
                               {"test/a.test.js", ""}});
  CHECK(placeholder.plans[0].runner == "node-test");
  auto go = plan_for({{"go.mod", "module x\n"}});
  CHECK(go.plans[0].result_format == "go-json");
  auto rust = plan_for({{"Cargo.toml", "[package]\n"}});
  CHECK(rust.plans[0].runner == "cargo");
  auto cm = plan_for({{"CMakeLists.txt", "enable_testing()\nadd_test(NAME a COMMAND a)\n"}});
  CHECK(cm.plans[0].runner == "ctest");
  auto mk = plan_for({{"Makefile", "CC := cc\ncheck: all\n\t./t\n"}});
  CHECK(mk.plans[0].command == "make check");
  auto none = plan_for({{"README.md", "hi"}, {"Makefile", "all:\n\ttrue\n"}});
  CHECK(none.plans.empty());
  CHECK(none.build_systems == std::vector<std::string>{"make"});
}
