#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "core/engine/docker_engine.hpp"
#include "core/error.hpp"
#include "core/util/hash.hpp"
#include "core/util/host_dir.hpp"
#include "core/util/random.hpp"

namespace orch::engine {

using nlohmann::json;

namespace {

// gVisor's Sentry threads and ptrace stubs live in the sandbox's pids cgroup: a 2-core host needs
// about 70 before the program starts, so a small limit would stop gVisor itself.
constexpr int64_t kGvisorPidsHeadroom = 128;

std::string tmpfs_options(const ScratchMount& m, const SandboxSpec& s, docker::Flavor engine) {
  // Podman 4.3 refuses nr_inodes, uid and gid (and ignores mode): there the inodes are kernel memory
  // charged to the sandbox's cgroup, and a mount owned by the sandbox's user is chowned to it (U).
  if (engine == docker::Flavor::Podman)
    return "rw,nosuid,nodev,exec,size=" + m.size + (!m.owner.empty() && m.owner == s.user ? ",U" : "") + ",mode=" + m.mode;
  // The engine copies the image's directory owner and mode onto the tmpfs unless uid/gid are explicit.
  std::string owner;
  if (unsigned uid = 0, gid = 0; std::sscanf(m.owner.c_str(), "%u:%u", &uid, &gid) == 2)
    owner = ",uid=" + std::to_string(uid) + ",gid=" + std::to_string(gid);
  return "rw,nosuid,nodev,exec,size=" + m.size + ",nr_inodes=" + std::to_string(m.max_files) + owner + ",mode=" + m.mode;
}

// Podman takes a seccomp profile as a file path, not inline JSON: a copy written once into orch's
// runtime directory, named by its content, renamed into place so Podman never reads half of it.
std::string podman_seccomp_file(const std::string& profile) {
  static std::mutex mu;
  static std::map<std::string, std::string> written;
  std::lock_guard<std::mutex> lock(mu);
  std::string hash = stable_hash_hex(profile);
  if (auto it = written.find(hash); it != written.end()) return it->second;
  std::string dir = runtime_dir();
  if (dir.empty()) throw Error(ErrorKind::Infrastructure, "cannot make orch's runtime directory for the seccomp profile Podman reads");
  std::string file = dir + "/seccomp-" + hash + ".json", tmp = file + "." + random_hex(8);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && ::write(fd, profile.data(), profile.size()) == static_cast<ssize_t>(profile.size());
  if (fd >= 0) ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error(ErrorKind::Infrastructure, "cannot write the seccomp profile to " + file + ": " + std::strerror(err));
  }
  return written[hash] = file;
}

}  // namespace

json docker_create_body(const SandboxSpec& s, docker::Flavor engine) {
  json host = {
      {"NetworkMode", s.network},
      {"Memory", s.memory_bytes},
      {"MemorySwap", s.memory_bytes},
      {"NanoCpus", static_cast<int64_t>(std::llround(s.cpus * 1e9))},
      {"PidsLimit", s.pids + (s.runtime == "runsc" ? kGvisorPidsHeadroom : 0)},
      {"ReadonlyRootfs", s.read_only_root},
      {"CapDrop", json::array({"ALL"})},
      {"Privileged", false},
      {"LogConfig", {{"Type", "none"}}},
  };
  json security = json::array({"no-new-privileges"});
  if (!s.seccomp_profile.empty())
    security.push_back("seccomp=" + (engine == docker::Flavor::Podman ? podman_seccomp_file(s.seccomp_profile) : s.seccomp_profile));
  host["SecurityOpt"] = security;
  if (!s.add_capabilities.empty()) host["CapAdd"] = s.add_capabilities;
  if (s.init) host["Init"] = true;
  if (s.hardened_limits) {
    host["IpcMode"] = "private";
    host["ShmSize"] = 16LL << 20;
    host["OomScoreAdj"] = 1000;
    host["Ulimits"] = json::array({{{"Name", "core"}, {"Soft", 0}, {"Hard", 0}}, {{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 1024}}});
    if (engine == docker::Flavor::Podman) {
      // Podman raises nproc to 1048576 whenever a body names any ulimit, which a host that limits its
      // services refuses at start; its own service runs with at most 32768 (the pids limit is the
      // sandbox's real cap, as on Docker).
      rlimit nproc{};
      ::getrlimit(RLIMIT_NPROC, &nproc);
      auto n = static_cast<int64_t>(std::min<rlim_t>(nproc.rlim_max, 32768));
      host["Ulimits"].push_back({{"Name", "nproc"}, {"Soft", n}, {"Hard", n}});
    }
  }
  if (!s.scratch.empty()) {
    json tmpfs = json::object();
    for (const auto& m : s.scratch) tmpfs[m.path] = tmpfs_options(m, s, engine);
    host["Tmpfs"] = tmpfs;
  }
  if (!s.runtime.empty()) host["Runtime"] = s.runtime;
  if (!s.share_pids_with.empty()) host["PidMode"] = "container:" + s.share_pids_with;
  if (s.remove_on_exit) host["AutoRemove"] = true;
  if (!s.host_mounts.empty()) {
    json mounts = json::array();
    for (const auto& m : s.host_mounts)
      mounts.push_back({{"Type", "bind"}, {"Source", m.source}, {"Target", m.target}, {"ReadOnly", m.read_only},
                        {"BindOptions", {{"Propagation", "rprivate"}}}});
    host["Mounts"] = mounts;
  }
  json body = {
      {"Image", s.image},
      {"Env", s.env},
      {"Labels", s.labels},
      {"HostConfig", host},
      {"NetworkDisabled", s.network == "none"},
      {"AttachStdin", s.open_stdin},
      {"AttachStdout", true},
      {"AttachStderr", true},
      {"OpenStdin", s.open_stdin},
      {"StdinOnce", s.open_stdin},
      {"Tty", false},
  };
  if (!s.argv.empty()) body["Cmd"] = s.argv;
  if (!s.user.empty()) body["User"] = s.user;
  if (!s.workdir.empty()) body["WorkingDir"] = s.workdir;
  if (!s.hostname.empty()) body["Hostname"] = s.hostname;
  if (s.hardened_limits) body["StopTimeout"] = 1;
  if (!s.network_aliases.empty())
    body["NetworkingConfig"] = {{"EndpointsConfig", {{s.network, {{"Aliases", s.network_aliases}}}}}};
  return body;
}

std::string docker_container_name(const SandboxSpec& s) {
  if (s.name.empty() || !s.expires) return s.name;
  return s.name + "-x" + std::to_string(*s.expires);
}

std::optional<int64_t> expiry_in_name(const std::string& name) {
  auto x = name.rfind("-x");
  if (x == std::string::npos || x + 2 >= name.size() || name.size() - x > 14) return std::nullopt;
  int64_t v = 0;
  for (size_t i = x + 2; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

}  // namespace orch::engine
