#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "core/sandbox/direct_io.hpp"
#include "host_child.hpp"

using namespace orch::sandbox;

namespace {

int connect_to(const std::string& path) {
  int fd = orch::testing::unix_connect(path);
  REQUIRE(fd >= 0);
  return fd;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// The longest last component of this process's cgroup paths ("" at the roots): a name that identifies it as a container id would.
std::string own_cgroup_leaf() {
  std::ifstream f("/proc/self/cgroup");
  std::string line, leaf;
  while (std::getline(f, line))
    if (std::string l = line.substr(line.rfind('/') + 1); l.size() > leaf.size()) leaf = l;
  return leaf;
}

}  // namespace

TEST_CASE("DirectOutput: private directory, two connectable sockets, all removed afterwards") {
  auto d = DirectOutput::open();
  REQUIRE(d);
  std::string dir = d->dir();
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);
  REQUIRE(::stat((dir + "/..").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0711);  // others cannot list the sandboxes' directories
  for (const char* name : {"/o", "/e"}) {
    REQUIRE(::stat((dir + name).c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
  }
  d.reset();
  CHECK_FALSE(exists(dir));
}

TEST_CASE("DirectOutput: connections from outside the container are refused") {
  auto d = DirectOutput::open();
  REQUIRE(d);
  int o = connect_to(d->dir() + "/o"), e = connect_to(d->dir() + "/e");
  std::unique_ptr<orch::engine::Stream> out, err;
  // This test process is in no container with this id.
  CHECK_FALSE(d->accept("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", out, err));
  CHECK_FALSE(out);
  CHECK_FALSE(err);
  ::close(o);
  ::close(e);
}

TEST_CASE("DirectOutput: nothing waiting is no connection") {
  auto d = DirectOutput::open();
  REQUIRE(d);
  std::unique_ptr<orch::engine::Stream> out, err;
  CHECK_FALSE(d->accept("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", out, err));
}

TEST_CASE("process_in_container: by the id in the process's cgroup path") {
  CHECK_FALSE(process_in_container(0, "0123456789abcdef"));
  CHECK_FALSE(process_in_container(::getpid(), "short"));
  CHECK_FALSE(process_in_container(::getpid(), "0123456789abcdef0123456789abcdef"));
  std::string leaf = own_cgroup_leaf();
  // Where this process sits in a named cgroup (a CI job's scope, a container), that name matches.
  if (leaf.size() >= 12) {
    CHECK(process_in_container(::getpid(), leaf));
    auto d = DirectOutput::open();
    REQUIRE(d);
    int o = connect_to(d->dir() + "/o"), e = connect_to(d->dir() + "/e");
    std::unique_ptr<orch::engine::Stream> out, err;
    CHECK(d->accept(leaf, out, err));
    CHECK(out);
    CHECK(err);
    ::close(o);
    ::close(e);
  }
}

TEST_CASE("DirectOutput::remove_stale: old directories go, fresh ones stay") {
  auto fresh = DirectOutput::open();
  auto old = DirectOutput::open();
  REQUIRE(fresh);
  REQUIRE(old);
  std::string old_dir = old->dir();
  timespec times[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
  REQUIRE(::utimensat(AT_FDCWD, old_dir.c_str(), times, 0) == 0);
  DirectOutput::remove_stale();
  CHECK_FALSE(exists(old_dir));
  CHECK(exists(fresh->dir() + "/o"));
}
