#include <doctest/doctest.h>

#include "core/remote/client.hpp"
#include "core/remote/sessions.hpp"
#include "core/util/json_writer.hpp"
#include "server/body.hpp"
#include "server/run_request.hpp"

using namespace orch;
using sandbox::RunOptions;
using sandbox::RunResult;
using sandbox::RunStatus;

namespace {

// What `orch run` with ORCH_HOST sends, as the server reads it.
RunOptions through_the_wire(const RunOptions& o) {
  return server::parse_run_request(server::parse_body(remote::run_request_json(o).dump()));
}

// A result document as the server streams it (POST /v1/run, a session call).
template <class Result>
nlohmann::json streamed(const Result& r) {
  std::string body;
  {
    JsonStream w([&body](std::string_view s) {
      body.append(s);
      return true;
    });
    write_json(w, r, true);
  }
  return nlohmann::json::parse(body);
}

RunResult result_through_the_wire(const RunResult& r) { return remote::result_from_json(streamed(r)); }

}  // namespace

TEST_CASE("run request: what the remote client sends is what the server reads") {
  RunOptions o;
  o.language = "python";
  o.template_name = "python";
  o.code = "print('é')";
  o.files = {{"data/in.bin", std::string("\0\x80\xfe", 3), 0644}, {"notes.txt", "hello", 0644}};
  o.args = {"-v", "two words"};
  o.env = {"A=1", "EMPTY=", "EQ=x=y"};  // env travels as an object: by name
  o.stdin_data = "line\n";
  o.timeout_s = 1.5;
  o.memory_bytes = 300LL << 20;
  o.cpus = 0.25;
  o.pids = 99;
  o.network = "bridge";
  o.runtime = "runsc";
  o.collect_out = true;
  o.output_cap = 4096;
  RunOptions got = through_the_wire(o);
  CHECK(got.language == o.language);
  CHECK(got.template_name == o.template_name);
  CHECK(got.code == o.code);
  REQUIRE(got.files.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(got.files[i].path == o.files[i].path);
    CHECK(got.files[i].data == o.files[i].data);
  }
  CHECK(got.args == o.args);
  CHECK(got.env == o.env);
  CHECK(got.stdin_data == o.stdin_data);
  CHECK(got.timeout_s == o.timeout_s);
  CHECK(got.memory_bytes == o.memory_bytes);
  CHECK(got.cpus == o.cpus);
  CHECK(got.pids == o.pids);
  CHECK(got.network == o.network);
  CHECK(got.runtime == o.runtime);
  CHECK(got.collect_out);
  CHECK(got.output_cap == 4096);
}

TEST_CASE("run request: a file run without a language travels as the first file, so the server picks by its name") {
  RunOptions o;
  o.code = "console.log(1)";
  o.code_name = "main.js";
  o.files = {{"lib.js", "x", 0644}};
  RunOptions got = through_the_wire(o);
  CHECK(got.language.empty());
  CHECK(got.code_name == "main.js");
  CHECK(got.code == o.code);
  REQUIRE(got.files.size() == 1);
  CHECK(got.files[0].path == "lib.js");
  CHECK_FALSE(got.timeout_s);
  CHECK_FALSE(got.memory_bytes);
  CHECK_FALSE(got.network);
  CHECK(got.output_cap == o.output_cap);
}

TEST_CASE("run result: what the server answers is what the remote client reports, bytes and artifacts included") {
  RunResult r;
  r.run_id = "r-0123456789ab";
  r.status = RunStatus::Error;
  r.exit_code = 3;
  r.stdout_data = std::string("out \xff\xfe\0 end", 11);
  r.stderr_data = "plain text ✓";
  r.stdout_truncated = true;
  r.duration_ms = 1234;
  r.artifacts = {{"plot.png", std::string("\x89PNG\0", 5), "image/png"}, {"dir/a.txt", "a", ""}};
  r.artifacts_skipped = {{"link", "a symbolic link"}};
  r.artifacts_truncated = true;
  RunResult got = result_through_the_wire(r);
  CHECK(got.run_id == r.run_id);
  CHECK(got.status == r.status);
  CHECK(got.exit_code == 3);
  CHECK(got.stdout_data == r.stdout_data);
  CHECK(got.stderr_data == r.stderr_data);
  CHECK(got.stdout_truncated);
  CHECK_FALSE(got.stderr_truncated);
  CHECK(got.duration_ms == 1234);
  REQUIRE(got.artifacts.size() == 2);
  CHECK(got.artifacts[0].path == "plot.png");
  CHECK(got.artifacts[0].data == r.artifacts[0].data);
  CHECK(got.artifacts[1].path == "dir/a.txt");
  REQUIRE(got.artifacts_skipped.size() == 1);
  CHECK(got.artifacts_skipped[0].path == "link");
  CHECK(got.artifacts_skipped[0].reason == "a symbolic link");
  CHECK(got.artifacts_truncated);
}

TEST_CASE("run result: every status and its exit code survive the trip") {
  for (auto s : {RunStatus::Ok, RunStatus::Error, RunStatus::Timeout, RunStatus::Oom, RunStatus::Cancelled}) {
    RunResult r;
    r.status = s;
    r.exit_code = s == RunStatus::Ok ? 0 : 1;
    CAPTURE(sandbox::status_name(s));
    RunResult got = result_through_the_wire(r);
    CHECK(got.status == s);
    CHECK(sandbox::exit_code_for(got) == sandbox::exit_code_for(r));
  }
}

TEST_CASE("session call result: every status, the error and the displays survive the trip") {
  using session::ExecStatus;
  for (auto s : {ExecStatus::Ok, ExecStatus::Error, ExecStatus::Timeout, ExecStatus::Crashed, ExecStatus::Cancelled}) {
    session::ExecResult r;
    r.session_id = "s-0123456789ab";
    r.language = "python";
    r.status = s;
    r.exit_code = s == ExecStatus::Ok ? 0 : 7;
    r.stdout_data = "1\n";
    r.stderr_truncated = true;
    r.error = session::ExecError{"ZeroDivisionError", "division by zero", "Traceback ..."};
    r.displays = {session::Display{{{"text/plain", "42"}, {"image/png", std::string("\x89PNG\0", 5)}}, true}};
    r.state_lost = s != ExecStatus::Ok;
    r.execution_count = 3;
    CAPTURE(session::status_name(s));
    auto got = remote::exec_result_from_json(streamed(r));
    CHECK(got.status == s);
    CHECK(got.session_id == r.session_id);
    CHECK(got.language == "python");
    CHECK(got.exit_code == r.exit_code);
    CHECK(got.stdout_data == "1\n");
    CHECK(got.stderr_truncated);
    REQUIRE(got.error);
    CHECK(got.error->name == "ZeroDivisionError");
    CHECK(got.error->traceback == "Traceback ...");
    REQUIRE(got.displays.size() == 1);
    CHECK(got.displays[0].main);
    CHECK(got.displays[0].data == r.displays[0].data);
    CHECK(got.state_lost == r.state_lost);
    CHECK(got.execution_count == 3);
  }
  CHECK(remote::exec_result_from_json({{"status", "exploded"}}).status == ExecStatus::Error);
}
