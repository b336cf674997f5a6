#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "cli/file_spec.hpp"
#include "core/error.hpp"
#include "fake_daemon.hpp"

using namespace orch;
using orch::testing::TempDir;

namespace {

// read_file_spec resolves LOCAL relative to the working directory, so tests run inside a temp dir.
struct InDir {
  std::filesystem::path old = std::filesystem::current_path();
  explicit InDir(const std::string& dir) { std::filesystem::current_path(dir); }
  ~InDir() { std::filesystem::current_path(old); }
};

std::string bad_input(const std::string& spec) {
  try {
    cli::read_file_spec(spec);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadInput);
    return e.what();
  }
  FAIL("accepted " << spec);
  return "";
}

}  // namespace

TEST_CASE("read_file_spec: LOCAL, LOCAL:REMOTE, /workspace/ prefixes, modes") {
  TempDir dir;
  dir.write("data.csv", "a,b\n1,2\n");
  dir.write("sub/tool.sh", "#!/bin/sh\n");
  ::chmod((dir.path() + "/sub/tool.sh").c_str(), 0700);
  dir.write("odd:name.txt", "colon");
  InDir in(dir.path());

  auto f = cli::read_file_spec("data.csv");
  CHECK(f.path == "data.csv");
  CHECK(f.data == "a,b\n1,2\n");
  CHECK(f.mode == 0644);

  f = cli::read_file_spec(dir.path() + "/sub/tool.sh");
  CHECK(f.path == "tool.sh");
  CHECK(f.mode == 0755);

  CHECK(cli::read_file_spec("data.csv:input/d.csv").path == "input/d.csv");
  CHECK(cli::read_file_spec("data.csv:/workspace/in.csv").path == "in.csv");
  CHECK(cli::read_file_spec("data.csv:/workspace/").path == "data.csv");
  CHECK(cli::read_file_spec("data.csv:inputs/").path == "inputs/data.csv");
  CHECK(cli::read_file_spec("data.csv:").path == "data.csv");
  CHECK(cli::read_file_spec("sub/tool.sh:bin/t").path == "bin/t");
  // An existing file whose name holds a colon is taken whole.
  f = cli::read_file_spec("odd:name.txt");
  CHECK(f.path == "odd:name.txt");
  CHECK(f.data == "colon");
  // Unsafe targets pass through here and are refused by plan_run.
  CHECK(cli::read_file_spec("data.csv:/etc/passwd").path == "/etc/passwd");
}

TEST_CASE("read_file_spec: missing files and directories are BadInput") {
  TempDir dir;
  dir.write("sub/x", "x");
  InDir in(dir.path());
  CHECK(bad_input("missing.txt").find("cannot read --file 'missing.txt'") == 0);
  CHECK(bad_input("missing.txt:in.txt").find("cannot read --file 'missing.txt'") == 0);
  CHECK(bad_input("sub") == "--file 'sub' is not a regular file");
}
