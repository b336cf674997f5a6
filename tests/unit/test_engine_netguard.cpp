#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "core/engine/docker_engine.hpp"
#include "core/error.hpp"
#include "fake_daemon.hpp"

using namespace orch;
using namespace orch::engine;
using orch::testing::FakeDaemon;
using orch::testing::Received;
using orch::testing::Reply;

namespace {

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// An engine whose only container runs under `runtime`, with runc, gVisor without a network
// ("runsc") and gVisor with its own network stack ("runsc-net") registered.
Reply answer(const Received& r, const std::string& runtime) {
  if (r.target.find("/info") != std::string::npos)
    return Reply::json(200, R"({"DefaultRuntime":"runc","Runtimes":{"runc":{"path":"runc"},
      "runsc":{"path":"/usr/bin/runsc","runtimeArgs":["--platform=ptrace","--network=none"]},
      "runsc-net":{"path":"/usr/bin/runsc","runtimeArgs":["--platform=ptrace"]}}})");
  if (r.target.find("/containers/sb/json") != std::string::npos)
    return Reply::json(200, R"({"Id":"sb","State":{"Pid":4242},"HostConfig":{"Runtime":")" + runtime + R"("},"Config":{"Labels":{}}})");
  return Reply::json(500, R"({"message":"not scripted: )" + r.method + " " + r.target + R"("})");
}

}  // namespace

TEST_CASE("refused_ranges: link-local and special always, private ranges unless lan") {
  auto bridge = refused_ranges({false});
  auto lan = refused_ranges({true});
  for (const char* r : {"169.254.0.0/16", "fe80::/10", "224.0.0.0/4", "0.0.0.0/8"}) {
    CHECK_MESSAGE(has(bridge, r), r);
    CHECK_MESSAGE(has(lan, r), r);
  }
  for (const char* r : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"}) {
    CHECK_MESSAGE(has(bridge, r), r);
    CHECK_MESSAGE(!has(lan, r), r);
  }
  CHECK(!has(bridge, "127.0.0.0/8"));  // the sandbox's own loopback
}

TEST_CASE("DockerEngine::guard_network: gVisor without a network needs none; one with its own stack is refused") {
  for (std::string runtime : {"runsc", "runsc-net"}) {
    CAPTURE(runtime);
    FakeDaemon d([runtime](const Received& r) { return answer(r, runtime); });
    DockerEngine e(std::make_shared<docker::SocketTransport>(docker::parse_endpoint(d.docker_host())));
    if (runtime == "runsc") {
      CHECK_NOTHROW(e.guard_network("sb", {false}));
    } else {
      CHECK_THROWS_WITH_AS(e.guard_network("sb", {false}), doctest::Contains("would bypass orch's firewall"), Error);
    }
    for (const auto& r : d.requests()) CHECK_MESSAGE(r.method == "GET", r.method, " ", r.target);  // no helper was made
  }
}

TEST_CASE("Engine::guard_network: an engine that cannot guard refuses networked sandboxes") {
  struct NoGuard : Engine {
    std::string endpoint() const override { return ""; }
    EngineInfo ping() override { return {}; }
    EngineInfo info() override { return {}; }
    Capabilities capabilities() override { return {}; }
    std::string create(const SandboxSpec&) override { return ""; }
    nlohmann::json create_request(const SandboxSpec&) const override { return {}; }
    void start(const std::string&) override {}
    std::unique_ptr<Stream> attach(const std::string&, bool) override { return nullptr; }
    std::unique_ptr<ExitWait> wait_exit(const std::string&) override { return nullptr; }
    void kill(const std::string&) override {}
    void remove(const std::string&) override {}
    std::optional<SandboxStatus> inspect(const std::string&) override { return std::nullopt; }
    std::vector<SandboxInfo> list(const Labels&) override { return {}; }
    void set_expiry(const std::string&, int64_t) override {}
    bool stopped_by_engine(const std::string&, int64_t) override { return false; }
    std::unique_ptr<Process> exec(const std::string&, const ExecSpec&) override { return nullptr; }
    std::string create_network(const NetworkSpec&) override { return ""; }
    void remove_network(const std::string&) override {}
    std::vector<NetworkInfo> list_networks(const Labels&) override { return {}; }
    bool image_exists(const std::string&) override { return false; }
    void build_image(const ImageBuild&, const std::function<void(const std::string&)>&) override {}
  } e;
  CHECK_THROWS_AS(e.guard_network("x", {true}), Error);
}
