#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "core/agent/fs.hpp"
#include "core/agent/procs.hpp"
#include "core/agent/wire.hpp"

using namespace orch::agent;

namespace {

struct AgentDir {
  std::string path;
  AgentDir() {
    char t[] = "/tmp/orch-agent-test.XXXXXX";
    path = ::mkdtemp(t);
  }
  ~AgentDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Failure& f) {
    return f.code();
  }
  return "none";
}

}  // namespace

TEST_CASE("agent file calls: make, list by depth, move, remove, with E2B's error codes") {
  AgentDir d;
  auto e = make_dir(d.path + "/a/b");
  CHECK(e["type"] == "dir");
  CHECK(e["name"] == "b");
  CHECK(code_of([&] { make_dir(d.path + "/a/b"); }) == "already_exists");
  CHECK(list_dir(d.path, 1).size() == 1);
  CHECK(list_dir(d.path, 2).size() == 2);
  CHECK(code_of([&] { list_dir(d.path + "/missing", 1); }) == "not_found");
  CHECK(code_of([&] { entry_info("relative/path"); }) == "invalid_argument");
  auto moved = move_path(d.path + "/a/b", d.path + "/c/d");
  CHECK(moved["path"] == d.path + "/c/d");
  CHECK(code_of([&] { entry_info(d.path + "/a/b"); }) == "not_found");
  remove_path(d.path + "/c");
  CHECK(code_of([&] { entry_info(d.path + "/c"); }) == "not_found");
  CHECK(code_of([&] { remove_path(d.path + "/c"); }) == "not_found");
  REQUIRE(::symlink("/etc/hostname", (d.path + "/link").c_str()) == 0);
  auto link = entry_info(d.path + "/link");
  CHECK(link["type"] == "symlink");
  CHECK(link["target"] == "/etc/hostname");
  remove_path(d.path + "/link");  // the link, never what it points to
  struct stat st {};
  CHECK(::stat("/etc/hostname", &st) == 0);
}

TEST_CASE("agent writes replace a file whole on commit, and reads stream it back") {
  AgentDir d;
  OpenFiles files;
  int fh = files.create(d.path + "/new/dir/f.bin")["fh"];
  files.write(fh, std::string("abc\0def", 7));
  CHECK(code_of([&] { entry_info(d.path + "/new/dir/f.bin"); }) == "not_found");  // nothing until commit
  auto e = files.commit(fh);
  CHECK(e["size"] == 7);
  int rh = files.open_read(d.path + "/new/dir/f.bin")["fh"];
  bool eof = false;
  CHECK(files.read(rh, 4, eof) == "abc" + std::string(1, '\0'));
  CHECK(files.read(rh, 100, eof) == "def");
  CHECK(eof);
  files.close(rh);
  int aborted = files.create(d.path + "/new/dir/f.bin")["fh"];
  files.write(aborted, "partial");
  files.close(aborted);
  CHECK(list_dir(d.path + "/new/dir", 1).size() == 1);  // no temporary file left, the old content kept
  CHECK(code_of([&] { files.open_read(d.path + "/new"); }) == "invalid_argument");
  CHECK(code_of([&] { files.create(d.path + "/new"); }) == "invalid_argument");
}

TEST_CASE("agent processes report exec failures and exit statuses") {
  ProcessConfig c;
  c.cmd = "/no/such/program";
  c.cwd = "/";
  CHECK(code_of([&] { spawn(c, {}); }) == "not_found");
  c.cmd = "sh";
  c.cwd = "/no/such/dir";
  CHECK(code_of([&] { spawn(c, {}); }) == "invalid_argument");
  c.cwd = "/tmp";
  c.args = {"-c", "echo $X; pwd; exit 3"};
  c.env = {{"X", "from-env"}};
  Process p = spawn(c, {});
  std::string out;
  char buf[256];
  for (;;) {
    ssize_t n = ::read(p.out_fd, buf, sizeof buf);
    if (n > 0) out.append(buf, static_cast<size_t>(n));
    else if (n == 0) break;
  }
  CHECK(out == "from-env\n/tmp\n");
  int status = 0;
  ::waitpid(p.pid, &status, 0);
  p.exited = true;
  p.status = status;
  auto info = exit_info(p);
  CHECK(info["exit_code"] == 3);
  CHECK(info["status"] == "exit status 3");
  CHECK(::getpgid(p.pid) == -1);  // reaped
  ::close(p.out_fd);
  ::close(p.err_fd);
}

TEST_CASE("agent messages carry a JSON head and raw bytes") {
  std::string bytes = encode("out", {{"pid", 7}, {"fd", 1}}, std::string("a\nb\0c", 5));
  orch::session::FrameParser parser;
  Message m;
  parser.feed(bytes, [&](orch::session::Frame&& f) { m = decode(std::move(f)); });
  CHECK(m.type == "out");
  CHECK(m.head["pid"] == 7);
  CHECK(m.body == std::string("a\nb\0c", 5));
  CHECK(kind_for_code("not_found") == orch::ErrorKind::NotFound);
  CHECK(kind_for_code("already_exists") == orch::ErrorKind::Conflict);
}
