#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/docker/mux.hpp"
#include "core/engine/docker_engine.hpp"
#include "core/error.hpp"
#include "fake_daemon.hpp"

using namespace orch;
using namespace orch::engine;
using nlohmann::json;
using orch::testing::FakeDaemon;
using orch::testing::Received;
using orch::testing::Reply;

namespace {

DockerEngine engine_for(const FakeDaemon& d) {
  return DockerEngine(std::make_shared<docker::SocketTransport>(docker::parse_endpoint(d.docker_host())));
}

Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no orch::Error thrown");
  return Error(ErrorKind::Infrastructure, "");
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("DockerEngine: create names the container with its expiry and says ImageMissing for a missing image") {
  FakeDaemon d([](const Received& r) {
    if (contains(r.target, "ghost")) return Reply::json(404, R"({"message":"No such image: orch/ghost:1"})");
    return Reply::json(201, R"({"Id":"c0ffee"})");
  });
  DockerEngine e = engine_for(d);
  SandboxSpec s;
  s.name = "orch-s-0123456789ab";
  s.image = "orch/python:latest";
  s.expires = 1712345678;
  CHECK(e.create(s) == "c0ffee");
  s.name = "ghost";
  s.expires.reset();
  Error err = error_of([&] { e.create(s); });
  CHECK(err.kind() == ErrorKind::NotFound);
  CHECK(err.reason() == Reason::ImageMissing);
  std::vector<Received> reqs;
  for (const auto& r : d.requests())
    if (contains(r.target, "/containers/create")) reqs.push_back(r);
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].target == "/v1.41/containers/create?name=orch-s-0123456789ab-x1712345678");
  CHECK(reqs[1].target == "/v1.41/containers/create?name=ghost");
}

TEST_CASE("DockerEngine: list maps labels, state and the expiry in the name; set_expiry renames") {
  FakeDaemon d([](const Received& r) {
    if (contains(r.target, "/containers/json"))
      return Reply::json(200, R"([{"Id":"a1","Names":["/orch-s-1-x1700000000"],"Image":"orch/python","State":"running",
                                   "Labels":{"orch.kind":"session","k":"v"}},
                                  {"Id":"b2","Names":["/orch-r-2"],"State":"exited","Labels":{}}])");
    if (contains(r.target, "/containers/a1/json")) return Reply::json(200, R"({"Name":"/orch-s-1-x1700000000"})");
    return Reply::json(204, "");
  });
  DockerEngine e = engine_for(d);
  auto all = e.list({{"orch.kind", "session"}});
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == "a1");
  CHECK(all[0].name == "orch-s-1-x1700000000");
  CHECK(all[0].state == State::Running);
  CHECK(all[0].labels == Labels{{"orch.kind", "session"}, {"k", "v"}});
  CHECK(all[0].expires == 1700000000);
  CHECK(all[1].state == State::Exited);
  CHECK_FALSE(all[1].expires.has_value());
  e.set_expiry("a1", 1800000000);
  auto reqs = d.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(contains(reqs[0].target, "filters=%7B%22label%22:%5B%22orch.kind%3Dsession%22%5D%7D"));
  CHECK(reqs[2].target == "/v1.41/containers/a1/rename?name=orch-s-1-x1800000000");
}

TEST_CASE("DockerEngine: attach frames carry their stream kind; stdin closes on its own") {
  FakeDaemon d([](const Received&) {
    return Reply::upgraded([](docker::Conn& conn) {
      conn.write_all(docker::encode_frame(docker::StreamId::Stdout, "out") + docker::encode_frame(docker::StreamId::Stderr, "err"));
      std::string in = orch::testing::read_to_eof(conn);
      conn.write_all(docker::encode_frame(docker::StreamId::Stdout, "got:" + in));
    });
  });
  DockerEngine e = engine_for(d);
  auto s = e.attach("c1", true);
  CHECK(s->write_some("abc") == 3);
  s->write("def");
  s->close_stdin();
  std::string out, err;
  auto sink = [&](StreamKind k, std::string_view data) { (k == StreamKind::Stdout ? out : err).append(data); };
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (s->read(sink, deadline) > 0) {
  }
  CHECK(out == "outgot:abcdef");
  CHECK(err == "err");
}

TEST_CASE("DockerEngine: exec reports the exit code, and NotRunning when the sandbox is stopped") {
  FakeDaemon d([](const Received& r) {
    if (contains(r.target, "/containers/gone/exec")) return Reply::json(409, R"({"message":"Container gone is not running"})");
    if (contains(r.target, "/exec")) {
      if (contains(r.target, "/start"))
        return Reply::upgraded([](docker::Conn& conn) { conn.write_all(docker::encode_frame(docker::StreamId::Stdout, "hi")); });
      if (contains(r.target, "/json")) return Reply::json(200, R"({"ExitCode":7,"Running":false})");
    }
    return Reply::json(201, R"({"Id":"e1"})");
  });
  DockerEngine e = engine_for(d);
  auto p = e.exec("c1", ExecSpec{{"true"}, {}, "1000:1000", "/workspace", false});
  std::string out;
  while (p->stream().read([&](StreamKind, std::string_view x) { out.append(x); }, Clock::now() + std::chrono::seconds(5)) > 0) {
  }
  CHECK(out == "hi");
  CHECK(p->exit_code() == 7);
  json body = json::parse(d.requests()[0].body);
  CHECK(body["AttachStdin"] == false);
  CHECK(body["User"] == "1000:1000");
  ExecSpec spec;
  spec.argv = {"true"};
  Error err = error_of([&] { e.exec("gone", spec); });
  CHECK(err.kind() == ErrorKind::Conflict);
  CHECK(err.reason() == Reason::NotRunning);
}

TEST_CASE("reason_for: the engine's words become reasons in one place") {
  CHECK(docker::reason_for(404, "No such container: x") == Reason::NotFound);
  CHECK(docker::reason_for(404, "No such image: x") == Reason::ImageMissing);
  CHECK(docker::reason_for(409, "Container x is not running") == Reason::NotRunning);
  CHECK(docker::reason_for(409, "Conflict. The container name \"/x\" is already in use") == Reason::NameInUse);
  CHECK(docker::reason_for(400, "Unknown runtime specified runsc") == Reason::UnknownRuntime);
  CHECK(docker::reason_for(500, "error while creating mount source path '/run/orch/io-1'") == Reason::MountRefused);
  CHECK(docker::reason_for(500, "something else") == Reason::Unspecified);
}

TEST_CASE("docker_create_body: a service-like spec drops the sandbox-only settings") {
  SandboxSpec s;
  s.image = "redis:7";
  s.user = "";
  s.workdir = "";
  s.read_only_root = false;
  s.init = false;
  s.hardened_limits = false;
  s.add_capabilities = {"CHOWN"};
  s.network = "orch-s-1";
  s.network_aliases = {"redis"};
  s.hostname = "redis";
  s.share_pids_with = "c1";
  s.remove_on_exit = true;
  json b = docker_create_body(s, docker::Flavor::Docker);
  const json& h = b["HostConfig"];
  CHECK(h["SecurityOpt"] == json::array({"no-new-privileges"}));
  CHECK(h["CapAdd"] == json::array({"CHOWN"}));
  CHECK(h["PidMode"] == "container:c1");
  CHECK(h["AutoRemove"] == true);
  CHECK(h["ReadonlyRootfs"] == false);
  CHECK_FALSE(h.contains("Init"));
  CHECK_FALSE(h.contains("Tmpfs"));
  CHECK_FALSE(h.contains("IpcMode"));
  CHECK_FALSE(b.contains("User"));
  CHECK_FALSE(b.contains("Cmd"));
  CHECK_FALSE(b.contains("StopTimeout"));
  CHECK(b["Hostname"] == "redis");
  CHECK(b["NetworkingConfig"]["EndpointsConfig"]["orch-s-1"]["Aliases"] == json::array({"redis"}));
}

TEST_CASE("DockerEngine: info names the engine's runtimes, architecture and CPUs; ping is cheap") {
  FakeDaemon d([](const Received& r) {
    if (contains(r.target, "/version")) return Reply::json(200, R"({"Version":"20.10.24","Os":"linux","Arch":"arm64"})");
    return Reply::json(200, R"({"NCPU":6,"Runtimes":{"runc":{"path":"runc"},"runsc":{"path":"/usr/bin/runsc"}}})");
  });
  DockerEngine e = engine_for(d);
  EngineInfo i = e.info();
  CHECK(i.kind == "docker");
  CHECK(i.version == "20.10.24");
  CHECK(i.os == "linux");
  CHECK(i.arch == "arm64");
  CHECK(i.cpus == 6);
  CHECK(i.runtimes == std::vector<std::string>{"runc", "runsc"});
  size_t before = d.requests().size();
  CHECK(e.ping().api_version == "1.41");
  CHECK(d.requests().size() == before);  // /_ping only
}

TEST_CASE("docker_create_body for Podman: the profile as a file holding it, tmpfs it accepts, nproc named; the rest as for Docker") {
  SandboxSpec s;
  s.image = "img";
  s.seccomp_profile = R"({"defaultAction":"SCMP_ACT_ERRNO"})";
  s.scratch = {{"/tmp", "64m", "", "1777"}, {"/workspace", "64m", "1000:1000"}};
  json docker = docker_create_body(s, docker::Flavor::Docker), podman = docker_create_body(s, docker::Flavor::Podman);
  std::string opt = podman["HostConfig"]["SecurityOpt"][1];
  REQUIRE(opt.rfind("seccomp=/", 0) == 0);
  std::ifstream f(opt.substr(8));
  std::stringstream ss;
  ss << f.rdbuf();
  CHECK(ss.str() == s.seccomp_profile);
  CHECK(docker["HostConfig"]["Tmpfs"]["/workspace"] == "rw,nosuid,nodev,exec,size=64m,nr_inodes=32768,uid=1000,gid=1000,mode=0755");
  CHECK(podman["HostConfig"]["Tmpfs"]["/workspace"] == "rw,nosuid,nodev,exec,size=64m,U,mode=0755");  // owned by the sandbox's user
  CHECK(podman["HostConfig"]["Tmpfs"]["/tmp"] == "rw,nosuid,nodev,exec,size=64m,mode=1777");
  json& limits = podman["HostConfig"]["Ulimits"];
  REQUIRE(limits.size() == 3);  // nproc named, or Podman asks for 1048576
  CHECK(limits[2]["Name"] == "nproc");
  limits.erase(2);
  podman["HostConfig"]["SecurityOpt"] = docker["HostConfig"]["SecurityOpt"];
  podman["HostConfig"]["Tmpfs"] = docker["HostConfig"]["Tmpfs"];
  CHECK(podman == docker);
}

TEST_CASE("DockerEngine: Podman cannot give a scratch mount another owner; Docker can") {
  for (auto [libpod, owner] : {std::pair{"4.3.1", false}, std::pair{"", true}}) {
    FakeDaemon d([l = std::string(libpod)](const Received&) {
      Reply ping;
      ping.body = "OK";
      if (!l.empty()) ping.headers.emplace_back("Libpod-Api-Version", l);
      return ping;
    });
    d.ping_to_handler = true;
    DockerEngine e = engine_for(d);
    CHECK(e.capabilities().scratch_owner == owner);
  }
}

TEST_CASE("DockerEngine: an OOM kill is known from the engine's events; a failed query reads as none") {
  std::string answer = R"({"status":"oom","id":"c1","Type":"container","Action":"oom","time":1700000001})";
  int status = 200;
  FakeDaemon d([&](const Received& r) {
    if (r.target.find("/events?") == std::string::npos) return Reply::json(404, "{}");
    return Reply::json(status, answer);
  });
  DockerEngine e = engine_for(d);
  CHECK(e.oom_reported("c1", 1700000000));
  auto asked = d.requests().back();
  CHECK(contains(asked.target, "since=1700000000"));
  CHECK(contains(asked.target, "%22oom%22"));
  CHECK(contains(asked.target, "%22c1%22"));
  answer = "";
  CHECK_FALSE(e.oom_reported("c1", 1700000000));
  status = 500;
  CHECK_FALSE(e.oom_reported("c1", 1700000000));
  CHECK(e.stopped_by_engine("c1", 1700000000));  // an engine going away: the engine stopped it
}
