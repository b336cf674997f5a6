// The warm runners (src/assets/warm/, after lib/frames.*) run on the host against the C++ side's
// request writer: the frames, the tar reader, stdin, the exit code and the end marks.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/sandbox/shell_runner.hpp"
#include "core/sandbox/warm.hpp"
#include "core/session/protocol.hpp"
#include "core/util/tar.hpp"
#include "fake_daemon.hpp"
#include "helpers.hpp"
#include "host_child.hpp"

using namespace orch;
using namespace orch::sandbox;
using orch::testing::HostChild;

namespace {

const std::string kReady = "\x1eORCH-READY\x1e";

// A run of `code` in `language` with an input file in a subdirectory and two arguments.
RunPlan plan_for(const templates::Store& store, const std::string& language, const std::string& code) {
  RunOptions o;
  o.language = language;
  o.code = code;
  o.args = {"one", "two words"};
  o.files = {{"data/in.txt", "from a file\n", 0644}};
  o.env = {"GREETING=hi there"};
  return plan_run(store, o);
}

std::string end_mark(const std::string& token, int code) { return "\x1eORCH-END-" + token + " " + std::to_string(code) + "\x1e"; }

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs `plan` in its language's warm runner on the host: ping, the request, stdin, then both streams to their end marks.
void check_runner(const RunPlan& plan, const std::string& expect_out, const std::string& expect_err) {
  orch::testing::TempDir ws;
  std::vector<std::string> argv = warm_command(*plan.lang);
  HostChild child(argv, {"ORCH_WORKSPACE=" + ws.path()}, ws.path());
  child.write(session::encode_frame("ping", ""));
  REQUIRE(child.read_until([&] { return child.out().size() >= kReady.size(); }));
  CHECK(child.out() == kReady);
  child.write(session::encode_frame("ping", ""));  // a second ping before the run is answered too
  std::string token = "0123456789abcdef01234567";
  child.write(warm_request(plan, token, 0) + "line from stdin\n");
  child.close_stdin();
  std::string end = end_mark(token, 3);
  REQUIRE(child.read_until([&] { return child.out().find(end) != std::string::npos && child.err().find(end) != std::string::npos; }));
  CHECK(child.out() == kReady + kReady + expect_out + end);
  CHECK(child.err() == expect_err + end);
  CHECK(child.wait() == 3);
  CHECK(slurp(ws.path() + "/data/in.txt") == "from a file\n");
}

}  // namespace

TEST_CASE("warm runners: a run frame's files, argv, env and stdin reach the program; both streams end marked") {
  auto store = orch::testing::builtin_templates();
  const std::string expect = "from a file one|two words hi there line from stdin\n";
  struct Case {
    const char* language;
    const char* code;
  };
  for (const Case& c :
       {Case{"python",
             "import os, sys\n"
             "print(open('data/in.txt').read().strip(), '|'.join(sys.argv[1:]), os.environ['GREETING'], input())\n"
             "print('to stderr', file=sys.stderr)\n"
             "sys.exit(3)\n"},
        Case{"node",
             "const fs = require('fs');\n"
             "const line = fs.readFileSync(0, 'utf8').trim();\n"
             "console.log(fs.readFileSync('data/in.txt', 'utf8').trim(), process.argv.slice(2).join('|'), process.env.GREETING, line);\n"
             "console.error('to stderr');\n"
             "process.exitCode = 3;\n"},
        Case{"bash",
             "read -r line\n"
             "echo \"$(cat data/in.txt) $1|$2 $GREETING $line\"\n"
             "echo to stderr >&2\n"
             "exit 3\n"}}) {
    CAPTURE(c.language);
    check_runner(plan_for(store, c.language, c.code), expect, "to stderr\n");
  }
}

TEST_CASE("warm runners: with linger_s the runner waits after its end marks, then exits with the program's code") {
  auto store = orch::testing::builtin_templates();
  for (const auto& [language, code] : {std::pair<const char*, const char*>{"python", "import sys; print(1); sys.exit(3)"},
                                       std::pair<const char*, const char*>{"node", "console.log(1); process.exitCode = 3;"}}) {
    CAPTURE(language);
    RunPlan plan = plan_for(store, language, code);
    orch::testing::TempDir ws;
    HostChild child(warm_command(*plan.lang), {"ORCH_WORKSPACE=" + ws.path()}, ws.path());
    std::string token = "0123456789abcdef01234567", end = end_mark(token, 3);
    child.write(warm_request(plan, token, 2));
    child.close_stdin();
    REQUIRE(child.read_until([&] { return child.out().find(end) != std::string::npos && child.err().find(end) != std::string::npos; }));
    CHECK(child.out() == "1\n" + end);
    CHECK(child.wait(0.5) == -1);  // the answer is complete, the process still there
    CHECK(child.wait(10) == 3);    // and gone within its bound
  }
}

TEST_CASE("warm runner: anything but a run frame after the pings ends it with 125 and a message") {
  auto store = orch::testing::builtin_templates();
  for (const char* lang : {"python", "node", "bash"}) {
    CAPTURE(lang);
    RunPlan plan = plan_for(store, lang, "");
    orch::testing::TempDir ws;
    HostChild child(warm_command(*plan.lang), {"ORCH_WORKSPACE=" + ws.path()}, ws.path());
    child.write(session::encode_frame("exec", "print(1)"));
    child.close_stdin();
    CHECK(child.wait() == 125);
    child.read_until(nullptr);
    CHECK(child.err().find("orch: could not unpack the input files") != std::string::npos);
  }
}

TEST_CASE("warm runner: a header that is not one (bad length, capital kind, no newline) is no request") {
  auto store = orch::testing::builtin_templates();
  for (const char* lang : {"python", "node"}) {
    for (std::string bad :
         {std::string("run 5x\nhello"), std::string("RUN 5\nhello"), std::string("run 1234567890123456\nx"), std::string(64, 'r')}) {
      CAPTURE(lang);
      CAPTURE(bad);
      RunPlan plan = plan_for(store, lang, "");
      orch::testing::TempDir ws;
      HostChild child(warm_command(*plan.lang), {"ORCH_WORKSPACE=" + ws.path()}, ws.path());
      child.write(bad);
      child.close_stdin();
      CHECK(child.wait() == 125);
      child.read_until(nullptr);
      CHECK(child.err().find("orch: could not unpack the input files") != std::string::npos);
    }
  }
}

namespace {

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    REQUIRE(n > 0);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

TEST_CASE("warm runner python, direct output: the request comes over socket o, stdout and stderr go to o and e") {
  auto store = orch::testing::builtin_templates();
  RunPlan plan = plan_for(store, "python",
                          "import subprocess, sys\n"
                          "print('out', input(), flush=True)\n"
                          "subprocess.run(['sh', '-c', 'echo child out; echo child err >&2'])\n"
                          "sys.exit(3)\n");
  orch::testing::TempDir ws, io;
  int lo = orch::testing::unix_listen(io.path() + "/o"), le = orch::testing::unix_listen(io.path() + "/e");
  REQUIRE(lo >= 0);
  REQUIRE(le >= 0);
  std::vector<std::string> argv = warm_command(*plan.lang);
  argv.push_back(io.path());
  HostChild child(argv, {"ORCH_WORKSPACE=" + ws.path()}, ws.path());
  child.write(session::encode_frame("ping", ""));
  REQUIRE(child.read_until([&] { return child.out().size() >= kReady.size(); }));
  CHECK(child.out() == kReady);  // before orch took the sockets, the answer is on the attach stream
  int o = ::accept4(lo, nullptr, nullptr, SOCK_CLOEXEC), e = ::accept4(le, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(o >= 0);
  REQUIRE(e >= 0);
  std::string token = "0123456789abcdef01234567", end = end_mark(token, 3);
  // In pieces: the runner reads the request in large reads, which may end inside its header or body.
  std::string request = warm_request(plan, token, 0);
  send_all(o, request.substr(0, 2));
  ::usleep(30000);
  send_all(o, request.substr(2, 700));
  ::usleep(30000);
  send_all(o, request.substr(702));
  child.write("line from stdin\n");
  child.close_stdin();
  std::string out, err;
  auto ended = [&end](const std::string& s) { return s.find(end) != std::string::npos; };
  CHECK(orch::testing::read_fd_until(o, out, ended));
  CHECK(orch::testing::read_fd_until(e, err, ended));
  CHECK(out == "out line from stdin\nchild out\n" + end);
  CHECK(err == "child err\n" + end);
  CHECK(child.wait() == 3);
  CHECK(child.out() == kReady);  // nothing else went to the attach stream
  for (int fd : {lo, le, o, e}) ::close(fd);
}

TEST_CASE("shell runner's unpack: files through the umask, parents made, symlinks kept, .orch/ in memory, never through a link") {
  orch::testing::TempDir ws, outside;
  tar::Writer w;
  w.add_dir(".orch", 0700);
  w.add_file(".orch/run.json", "{\"first\":1}", 0600);
  w.add_file(".orch/run.json", "{\"second\":1}", 0600);
  w.add_file("deep/er/tool.sh", "echo hi\n", 0777);
  w.add_symlink("link", outside.path());
  std::map<std::string, std::string> own;
  std::string error;
  mode_t old = ::umask(022);
  REQUIRE(unpack_input(w.finish(), ws.path(), own, error));
  CHECK(own[".orch/run.json"] == "{\"first\":1}");
  CHECK(::access((ws.path() + "/.orch").c_str(), F_OK) != 0);
  CHECK(slurp(ws.path() + "/deep/er/tool.sh") == "echo hi\n");
  struct stat st {};
  REQUIRE(::stat((ws.path() + "/deep/er/tool.sh").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);
  char target[512] = {};
  CHECK(::readlink((ws.path() + "/link").c_str(), target, sizeof target - 1) > 0);
  CHECK(std::string(target) == outside.path());
  // A file written through the link would land outside the workspace: refused.
  tar::Writer through;
  through.add_file("link/escape", "x");
  CHECK_FALSE(unpack_input(through.finish(), ws.path(), own, error));
  CHECK(::access((outside.path() + "/escape").c_str(), F_OK) != 0);
  CHECK_FALSE(unpack_input("not a tar archive at all", ws.path(), own, error));
  ::umask(old);
}
