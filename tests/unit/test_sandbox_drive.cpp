#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "core/docker/mux.hpp"
#include "core/engine/docker_engine.hpp"
#include "core/sandbox/run.hpp"
#include "core/util/tar.hpp"
#include "fake_daemon.hpp"
#include "helpers.hpp"

using namespace orch;
using namespace orch::sandbox;
using docker::encode_frame;
using docker::StreamId;
using nlohmann::json;
using orch::testing::FakeDaemon;
using orch::testing::Received;
using orch::testing::Reply;

namespace {

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

struct Recorder : Observer {
  std::string out, err;
  void on_output(bool is_stderr, std::string_view d) override { (is_stderr ? err : out).append(d); }
};

// A fake engine that runs one scripted sandbox: `program` plays its attach stream (stdin in,
// frames out); the wait answers `exit_code`; a kill or remove ends a program that waits for it.
struct ScriptedEngine {
  std::function<void(docker::Conn&, ScriptedEngine&)> program;
  int exit_code = 0;
  bool oom = false;
  std::atomic<bool> stopped{false};
  std::mutex mu;
  json created;
  std::string stdin_seen;
  FakeDaemon daemon{[this](const Received& r) { return answer(r); }};
  engine::DockerEngine engine{std::make_shared<docker::SocketTransport>(docker::parse_endpoint(daemon.docker_host()))};

  Reply answer(const Received& r) {
    if (contains(r.target, "/containers/create")) {
      std::lock_guard<std::mutex> lock(mu);
      created = json::parse(r.body);
      return Reply::json(201, R"({"Id":"c1"})");
    }
    if (contains(r.target, "/attach")) return Reply::upgraded([this](docker::Conn& c) { program(c, *this); });
    if (contains(r.target, "/wait")) return Reply::json(200, R"({"StatusCode":)" + std::to_string(exit_code) + "}");
    if (contains(r.target, "/containers/c1/json")) return Reply::json(200, json{{"State", {{"OOMKilled", oom}}}}.dump());
    if (contains(r.target, "/events")) return Reply::json(200, "");
    if (contains(r.target, "/kill") || r.method == "DELETE") stopped = true;
    return Reply::json(204, "");
  }
  void wait_until_stopped() {
    for (int i = 0; i < 500 && !stopped; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  bool asked(const std::string& what) {
    for (const auto& r : daemon.requests())
      if (contains(r.method + " " + r.target, what)) return true;
    return false;
  }
};

RunPlan plan_for(const std::string& code) {
  static templates::Store store = orch::testing::builtin_templates();
  RunOptions o;
  o.code = code;
  return plan_run(store, o);
}

}  // namespace

TEST_CASE("drive: stdin goes in whole, output comes back by stream, the exit code from the wait") {
  ScriptedEngine s;
  s.exit_code = 3;
  s.program = [](docker::Conn& c, ScriptedEngine& e) {
    e.stdin_seen = orch::testing::read_to_eof(c);
    c.write_all(encode_frame(StreamId::Stdout, "out-1 ") + encode_frame(StreamId::Stderr, "err-1") + encode_frame(StreamId::Stdout, "out-2"));
  };
  RunPlan p = plan_for("print(1)");
  p.stdin_data = "typed input";
  Recorder obs;
  RunResult r = run_oneshot(s.engine, p, obs);
  CHECK(r.status == RunStatus::Error);
  CHECK(r.exit_code == 3);
  CHECK(r.stdout_data == "out-1 out-2");
  CHECK(r.stderr_data == "err-1");
  CHECK(obs.out == "out-1 out-2");
  CHECK(obs.err == "err-1");
  // The boot shell reads exactly the tar's size, then the program gets the rest of stdin.
  std::string tar_size = s.created["Cmd"][2].get<std::string>();
  tar_size = tar_size.substr(tar_size.find("count=") + 6);
  size_t n = std::stoul(tar_size);
  REQUIRE(s.stdin_seen.size() == n + std::string("typed input").size());
  CHECK(s.stdin_seen.substr(n) == "typed input");
  auto files = tar::read(s.stdin_seen.substr(0, n));
  REQUIRE(files.size() == 1);
  CHECK(files[0].path == "main.py");
  CHECK(s.asked("DELETE /v1.41/containers/c1"));
  CHECK_FALSE(s.asked("/kill"));
}

TEST_CASE("drive: the deadline kills the sandbox and says timeout; an OOM kill says oom") {
  ScriptedEngine s;
  s.exit_code = 137;
  s.program = [](docker::Conn& c, ScriptedEngine& e) {
    orch::testing::read_to_eof(c);
    c.write_all(encode_frame(StreamId::Stdout, "started"));
    e.wait_until_stopped();
  };
  RunPlan p = plan_for("import time; time.sleep(60)");
  p.timeout_s = 0.3;
  Recorder obs;
  RunResult r = run_oneshot(s.engine, p, obs);
  CHECK(r.status == RunStatus::Timeout);
  CHECK(exit_code_for(r) == 124);
  CHECK(r.stdout_data == "started");
  CHECK(s.asked("POST /v1.41/containers/c1/kill?signal=KILL"));

  ScriptedEngine oom;
  oom.exit_code = 137;
  oom.oom = true;
  oom.program = [](docker::Conn& c, ScriptedEngine&) { orch::testing::read_to_eof(c); };
  r = run_oneshot(oom.engine, plan_for("x = ' ' * 10**10"), obs);
  CHECK(r.status == RunStatus::Oom);
  CHECK(exit_code_for(r) == 137);
}

TEST_CASE("drive: files behind the --out marker become artifacts, not output") {
  ScriptedEngine s;
  s.program = [](docker::Conn& c, ScriptedEngine& e) {
    orch::testing::read_to_eof(c);
    std::string marker;
    {
      std::lock_guard<std::mutex> lock(e.mu);
      marker = e.created["Cmd"][4].get<std::string>();
    }
    tar::Writer w;
    w.add_file("workspace/out/report.txt", "done\n", 0644);
    c.write_all(encode_frame(StreamId::Stdout, "printed\n" + marker.substr(0, 5)));
    c.write_all(encode_frame(StreamId::Stdout, marker.substr(5) + w.finish()));
  };
  RunPlan p = plan_for("print('printed')");
  p.collect_out = true;
  Recorder obs;
  RunResult r = run_oneshot(s.engine, p, obs);
  CHECK(r.status == RunStatus::Ok);
  CHECK(r.stdout_data == "printed\n");
  CHECK(obs.out == "printed\n");
  REQUIRE(r.artifacts.size() == 1);
  CHECK(r.artifacts[0].path == "report.txt");
  CHECK(r.artifacts[0].data == "done\n");
}

TEST_CASE("drive: a warm runner's end report ends the run before its stream does") {
  ScriptedEngine s;
  s.program = [](docker::Conn& c, ScriptedEngine& e) {
    c.write_all(encode_frame(StreamId::Stdout, "hi\n\x1eORCH-END-tok 5\x1e") + encode_frame(StreamId::Stderr, "\x1eORCH-END-tok 5\x1e"));
    e.wait_until_stopped();  // a runner keeps its stream open; the pool removes the sandbox later
  };
  RunPlan p = plan_for("x");
  Started st = start_sandbox(s.engine, p.spec);
  Recorder obs;
  auto t0 = std::chrono::steady_clock::now();
  RunResult r = drive(s.engine, st, "", p, "", obs, "tok");
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  CHECK(r.status == RunStatus::Error);
  CHECK(r.exit_code == 5);
  CHECK(r.stdout_data == "hi\n");
  CHECK(r.stderr_data.empty());
  CHECK_FALSE(s.asked("/kill"));
}
