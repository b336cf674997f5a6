#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/util/host_dir.hpp"
#include "fake_daemon.hpp"

using orch::HostDir;
using orch::OnExists;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("unsafe_host_path_reason: names that must never be written on the host") {
  using orch::unsafe_host_path_reason;
  for (const char* ok : {"a", "a/b/c.txt", ".gitignore", "git", "x.git", "sub/.github/w.yml", "a b", ".hidden"})
    CHECK_MESSAGE(unsafe_host_path_reason(ok).empty(), ok);
  for (const char* bad : {"", "/etc/x", "../x", "a/../../x", ".", "a/./b", "a//b", "a/", "a\\b", ".git", ".git/config",
                          ".GIT/config", "sub/.Git/hooks/pre-commit", ".git./config", ".git /x", "GIT~1/config"})
    CHECK_MESSAGE(!unsafe_host_path_reason(bad).empty(), bad);
  CHECK(unsafe_host_path_reason(std::string("a\0b", 3)) == "the name holds a NUL byte");
  CHECK(unsafe_host_path_reason(".git/config") == "a path into .git");
  CHECK(!unsafe_host_path_reason(std::string(300, 'a')).empty());
}

TEST_CASE("HostDir writes nested files and never follows a link on the way") {
  orch::testing::TempDir tmp;
  fs::path root = fs::path(tmp.path()) / "out", outside = fs::path(tmp.path()) / "outside";
  fs::create_directories(outside);
  auto dir = HostDir::open(root.string(), false);
  auto w = dir.write("a/b/c.txt", "hello", OnExists::Refuse);
  CHECK(w.refused == "");
  CHECK(w.written == "a/b/c.txt");
  CHECK(slurp(root / "a/b/c.txt") == "hello");

  // A link the user (or anyone) left inside the directory is never followed, at any depth.
  fs::create_directory_symlink(outside, root / "victim");
  fs::create_directory_symlink(outside, root / "a/deep");
  for (const char* p : {"victim/pwned.txt", "a/deep/pwned.txt", "victim/x/y.txt"}) {
    auto r = dir.write(p, "pwned", OnExists::Replace);
    CHECK_MESSAGE(r.refused.find("is a symbolic link, not a directory") != std::string::npos, p, ": ", r.refused);
  }
  CHECK(fs::is_empty(outside));

  // A link at the name itself is refused, replacing or not; its target is untouched.
  std::ofstream(outside / "target") << "theirs";
  fs::create_symlink(outside / "target", root / "lnk");
  for (auto mode : {OnExists::Refuse, OnExists::Replace}) CHECK(dir.write("lnk", "ours", mode).refused == "'lnk' is a symbolic link");
  CHECK(dir.write("lnk", "ours", OnExists::NewName).written == "lnk-2");
  CHECK(fs::is_symlink(root / "lnk"));
  CHECK(slurp(outside / "target") == "theirs");
  fs::remove(outside / "target");

  // Replacing a file gives it a new inode: a hard link the user made elsewhere keeps its data.
  std::ofstream(root / "shared") << "old";
  fs::create_hard_link(root / "shared", outside / "shared");
  CHECK(dir.write("shared", "new", OnExists::Replace).refused == "");
  CHECK(slurp(root / "shared") == "new");
  CHECK(slurp(outside / "shared") == "old");
  fs::remove(outside / "shared");
}

TEST_CASE("HostDir: existing files, clashes between files and directories") {
  orch::testing::TempDir tmp;
  fs::path root = tmp.path();
  auto dir = HostDir::open(root.string(), false);
  std::ofstream(root / "report.txt") << "old";
  auto r = dir.write("report.txt", "new", OnExists::Refuse);
  CHECK(r.refused == "a file of that name already exists");
  CHECK(slurp(root / "report.txt") == "old");
  r = dir.write("report.txt", "new", OnExists::NewName);
  CHECK(r.written == "report-2.txt");
  CHECK(slurp(root / "report-2.txt") == "new");
  CHECK(dir.write("report.txt", "3", OnExists::NewName).written == "report-3.txt");
  r = dir.write("report.txt", "new", OnExists::Replace);
  CHECK(r.refused == "");
  CHECK(slurp(root / "report.txt") == "new");

  CHECK(dir.write("x", "file", OnExists::Refuse).refused == "");
  CHECK(dir.write("x/y", "under a file", OnExists::Refuse).refused == "'x' is a file, not a directory");
  CHECK(dir.write("d/f", "f", OnExists::Refuse).refused == "");
  CHECK(dir.write("d", "over a directory", OnExists::Refuse).refused == "'d' is a directory");
  CHECK(dir.write("d", "over a directory", OnExists::Replace).refused == "'d' is a directory");
  CHECK(dir.write(".git/config", "[core]", OnExists::Replace).refused == "a path into .git");
  // nothing was left behind by the replacements
  for (const auto& e : fs::directory_iterator(root)) CHECK(e.path().filename().string().rfind(".orch-", 0) != 0);
}

TEST_CASE("HostDir::open refuses a repository's top and .git unless forced") {
  orch::testing::TempDir tmp;
  fs::path wt = fs::path(tmp.path()) / "wt";
  fs::create_directories(wt / ".git/hooks");
  CHECK_THROWS_WITH_AS(HostDir::open(wt.string(), false),
                       doctest::Contains("it is the top of a git work tree (--out-force writes there anyway)"), orch::Error);
  CHECK_THROWS_WITH_AS(HostDir::open((wt / ".git/hooks").string(), false), doctest::Contains("inside a .git directory"), orch::Error);
  fs::path bare = fs::path(tmp.path()) / "bare.git-not";
  fs::create_directories(bare / "objects");
  fs::create_directories(bare / "refs");
  std::ofstream(bare / "HEAD") << "ref: refs/heads/main\n";
  CHECK_THROWS_WITH_AS(HostDir::open(bare.string(), false), doctest::Contains("it is a git repository"), orch::Error);
  // a .git file (a linked work tree or submodule) counts too
  fs::create_directories(wt / "sub");
  std::ofstream(wt / "sub/.git") << "gitdir: ../.git/modules/sub\n";
  CHECK_THROWS_AS(HostDir::open((wt / "sub").string(), false), orch::Error);
  // below the top is fine, and so is the top when forced
  CHECK_NOTHROW(HostDir::open((wt / "results").string(), false));
  auto forced = HostDir::open(wt.string(), true);
  CHECK(forced.write("out.txt", "x", OnExists::Refuse).refused == "");
  CHECK(forced.write(".git/config", "x", OnExists::Replace).refused == "a path into .git");
}
