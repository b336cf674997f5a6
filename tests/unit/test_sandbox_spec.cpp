#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

#include "core/engine/docker_engine.hpp"
#include "core/sandbox/spec.hpp"
#include "fake_daemon.hpp"

using namespace orch;
using namespace orch::sandbox;
using orch::testing::FakeDaemon;
using orch::testing::Received;
using orch::testing::Reply;

TEST_CASE("base_labels mark what orch made and who made it") {
  auto l = base_labels("session", "s-1", "node");
  CHECK(l.at(kLabelManaged) == "1");
  CHECK(l.at(kLabelKind) == "session");
  CHECK(l.at(kLabelId) == "s-1");
  CHECK(l.at(kLabelTemplate) == "node");
  long created = std::stol(l.at(kLabelCreated));
  CHECK(created > 1700000000);
  CHECK(created <= static_cast<long>(::time(nullptr)));
  std::string pid = l.at(kLabelPid);
  CHECK(pid.substr(pid.rfind(':') + 1) == std::to_string(::getpid()));
}

TEST_CASE("ContainerGuard removes its container on scope exit, unless released") {
  FakeDaemon d([](const Received& r) {
    if (r.method == "DELETE") return Reply::json(204, "");
    return Reply::json(404, "{}");
  });
  engine::DockerEngine c(std::make_shared<docker::SocketTransport>(docker::parse_endpoint(d.docker_host())));
  {
    ContainerGuard g(c, "abc");
  }
  {
    ContainerGuard kept(c, "keep");
    kept.release();
  }
  try {
    ContainerGuard g(c, "on-error");
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  auto reqs = d.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].method == "DELETE");
  CHECK(reqs[0].target == "/v1.41/containers/abc?force=1&v=1");
  CHECK(reqs[1].target == "/v1.41/containers/on-error?force=1&v=1");
}

TEST_CASE("ContainerGuard does not throw when the engine is gone") {
  orch::testing::TempDir dir;
  engine::DockerEngine c(std::make_shared<docker::SocketTransport>(docker::parse_endpoint("unix://" + dir.path() + "/none.sock")));
  CHECK_NOTHROW([&] { ContainerGuard g(c, "abc"); }());
}
