// DockerEngine's network guard: a short-lived container of orch's guard image (Debian's iptables,
// src/assets/netguard/) that joins the engine host's pid and network namespaces, reads the host's
// own addresses and puts the firewall into the sandbox's network namespace. Everything goes
// through the Engine API, so a remote engine is guarded the same way.
#include <algorithm>
#include <mutex>

#include "core/docker/mux.hpp"
#include "core/engine/docker_engine.hpp"
#include "core/error.hpp"
#include "core/util/embedded.hpp"
#include "core/util/hash.hpp"
#include "core/util/random.hpp"
#include "core/util/tar.hpp"

namespace orch::engine {

using nlohmann::json;

namespace {

std::mutex g_build_mu;  // one build of the guard image per process, however many runs want it

// Whether a runtime's sandboxes send through their network namespace's own kernel stack (runc and
// its kin), have no network at all (gVisor registered with --network=none), or neither (gVisor's
// own network stack, a VM): the guard's rules would not see the last kind's traffic.
bool needs_guard(const json& info, const std::string& runtime) {
  std::string name = runtime.empty() ? info.value("DefaultRuntime", "runc") : runtime;
  if (name == "runc" || name == "crun" || name == "io.containerd.runc.v2" || name == "io.containerd.runtime.v1.linux") return true;
  const json rt = info.value("Runtimes", json::object()).value(name, json::object());
  auto args = rt.value("runtimeArgs", std::vector<std::string>{});
  if (std::find(args.begin(), args.end(), "--network=none") != args.end()) return false;
  throw Error(
      ErrorKind::BadInput,
      "a sandbox with a network cannot run under '" + name +
          "': its own network stack would bypass orch's firewall (register it with --network=none, or use runc for networked sandboxes)");
}

std::string guard_image(docker::Client& client, const std::function<void(const std::string&)>& on_line) {
  std::string_view dockerfile = embedded_asset("netguard/Dockerfile");
  std::string tag = "orch/netguard:" + stable_hash_hex(dockerfile).substr(0, 12);
  std::lock_guard<std::mutex> lock(g_build_mu);
  if (client.inspect_image(tag)) return tag;
  tar::Writer w;
  w.add_file("Dockerfile", dockerfile, 0644);
  std::string pending;
  try {
    client.build_image(w.finish(), tag, {{"orch.managed", "1"}, {"orch.kind", "netguard"}}, [&](const json& j) {
      pending += j.value("stream", "");
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) on_line(pending.substr(0, nl));
    });
  } catch (const Error& e) {
    throw Error(ErrorKind::Infrastructure,
                std::string("cannot build orch's network guard image (it installs Debian's iptables with apt): ") + e.what());
  }
  return tag;
}

}  // namespace

void DockerEngine::prepare(const std::function<void(const std::string&)>& on_line) { guard_image(client_, on_line); }

void DockerEngine::guard_network(const std::string& id, const Egress& egress) {
  json c = client_.inspect(id);
  if (!needs_guard(client_.info(), c.value("HostConfig", json::object()).value("Runtime", ""))) return;
  std::string image = guard_image(client_, [](const std::string&) {});
  int64_t pid = c.value("State", json::object()).value("Pid", int64_t{0});
  if (pid <= 0) throw Error(ErrorKind::Infrastructure, "the sandbox stopped before its network could be guarded");
  std::vector<std::string> cmd = {"sh", "-c", std::string(embedded_asset("netguard/guard.sh")), "orch-netguard", std::to_string(pid)};
  for (const auto& r : refused_ranges(egress)) cmd.push_back(r);
  json labels = c.value("Config", json::object()).value("Labels", json::object());
  json host = {
      {"NetworkMode", "host"},  // to read the host's own addresses
      {"PidMode", "host"},      // to enter the sandbox's network namespace
      {"CapDrop", json::array({"ALL"})},
      {"CapAdd", json::array({"NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE"})},
      {"SecurityOpt", json::array({"no-new-privileges"})},
      {"ReadonlyRootfs", true},
      {"Tmpfs", {{"/run", "size=1m"}, {"/tmp", "size=1m"}}},
      {"Memory", 64LL << 20},
      {"PidsLimit", 64},
      {"LogConfig", {{"Type", "none"}}},
      {"AutoRemove", true},  // the engine removes it once it exited: the run does not wait for that
  };
  json body = {{"Image", image},
               {"Cmd", cmd},
               {"User", "0"},
               {"HostConfig", host},
               {"AttachStdout", true},
               {"AttachStderr", true},
               {"Labels",
                {{"orch.managed", "1"},
                 {"orch.kind", "netguard"},
                 {"orch.id", labels.value("orch.id", "")},
                 {"orch.pid", labels.value("orch.pid", "")}}}};
  std::string helper = client_.create_container(body, "orch-netguard-" + random_hex(12));
  std::string out;
  int64_t code = -1;
  try {
    auto stream = client_.attach(helper, false);
    auto waiter = client_.wait_next_exit(helper);
    client_.start(helper);
    docker::Demuxer demux([&](docker::StreamId, std::string_view d) {
      if (out.size() < 4096) out.append(d.substr(0, 4096 - out.size()));
    });
    auto deadline = docker::Clock::now() + std::chrono::seconds(30);
    char buf[4096];
    for (long n; (n = stream.conn->read_some(buf, sizeof buf, deadline)) != 0;) {
      if (n < 0) throw Error(ErrorKind::Infrastructure, "orch's network guard did not finish in 30 s");
      demux.feed(std::string_view(buf, static_cast<size_t>(n)));
    }
    code = waiter.result(std::chrono::seconds(10));
  } catch (...) {
    try {
      client_.remove(helper);
    } catch (...) {
      // its orch.pid label lets `orch gc` find it
    }
    throw;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  if (code != 0 || out.find("guarded ") == std::string::npos)
    throw Error(ErrorKind::Infrastructure, "orch's network guard failed (exit " + std::to_string(code) + "): " + out.substr(0, 500));
}

}  // namespace orch::engine
