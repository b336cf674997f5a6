#include "core/sandbox/spec.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "core/sandbox/direct_io.hpp"
#include "core/sandbox/seccomp.hpp"
#include "core/util/random.hpp"

namespace orch::sandbox {

using nlohmann::json;

namespace {
// gVisor's Sentry threads and ptrace stubs live in the sandbox's pids cgroup: a 2-core host needs
// about 70 before the program starts, so a small limit would stop gVisor itself.
constexpr int64_t kGvisorPidsHeadroom = 128;
}  // namespace

json create_body(const Spec& s) {
  // The engine copies the image's /workspace owner and mode onto the tmpfs unless uid/gid are explicit.
  std::string owner;
  const std::string& ws_owner = s.workspace_owner.empty() ? s.user : s.workspace_owner;
  if (unsigned uid = 0, gid = 0; std::sscanf(ws_owner.c_str(), "%u:%u", &uid, &gid) == 2)
    owner = ",uid=" + std::to_string(uid) + ",gid=" + std::to_string(gid);
  // nr_inodes caps file count: a million empty files would otherwise cost kernel memory, not tmpfs size.
  json tmpfs = {{"/tmp", "rw,nosuid,nodev,exec,size=" + s.tmp_size + ",nr_inodes=32768,mode=1777"},
                {"/workspace", "rw,nosuid,nodev,exec,size=" + s.workspace_size + ",nr_inodes=32768" + owner + ",mode=0755"}};
  json host = {
      {"NetworkMode", s.network},
      {"Memory", s.memory_bytes},
      {"MemorySwap", s.memory_bytes},  // equal to Memory: no swap
      {"NanoCpus", static_cast<int64_t>(std::llround(s.cpus * 1e9))},
      {"PidsLimit", s.pids + (s.runtime == "runsc" ? kGvisorPidsHeadroom : 0)},
      {"ReadonlyRootfs", true},
      {"Tmpfs", tmpfs},
      {"CapDrop", json::array({"ALL"})},
      {"SecurityOpt", json::array({"no-new-privileges", "seccomp=" + seccomp_profile()})},
      {"Init", true},
      {"IpcMode", "private"},
      {"ShmSize", 16LL << 20},
      {"OomScoreAdj", 1000},
      {"Privileged", false},
      {"Ulimits", json::array({{{"Name", "core"}, {"Soft", 0}, {"Hard", 0}},
                                {{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 1024}}})},
      {"LogConfig", {{"Type", "none"}}},
  };
  if (!s.runtime.empty()) host["Runtime"] = s.runtime;
  if (!s.io_dir.empty())
    host["Mounts"] = json::array({{{"Type", "bind"}, {"Source", s.io_dir}, {"Target", DirectOutput::kMountPoint}, {"ReadOnly", true},
                                   {"BindOptions", {{"Propagation", "rprivate"}}}}});
  json body = {
      {"Image", s.image},
      {"Cmd", s.cmd},
      {"Env", s.env},
      {"User", s.user},
      {"WorkingDir", "/workspace"},
      {"Labels", s.labels},
      {"HostConfig", host},
      {"NetworkDisabled", s.network == "none"},
      {"StopTimeout", 1},
      {"AttachStdin", s.open_stdin},
      {"AttachStdout", true},
      {"AttachStderr", true},
      {"OpenStdin", s.open_stdin},
      {"StdinOnce", s.open_stdin},
      {"Tty", false},
  };
  return body;
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

std::optional<int64_t> expiry_of(const json& c) {
  if (c.contains("Names") && c["Names"].is_array()) {
    for (const auto& n : c["Names"])
      if (n.is_string())
        if (auto e = expiry_in_name(n.get<std::string>())) return e;
  }
  std::string label = c.value("Labels", json::object()).value(kLabelExpires, "");
  if (label.empty()) return std::nullopt;
  return std::strtoll(label.c_str(), nullptr, 10);
}

std::map<std::string, std::string> base_labels(const std::string& kind, const std::string& id, const std::string& tmpl) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return {{kLabelManaged, "1"},
          {kLabelKind, kind},
          {kLabelId, id},
          {kLabelTemplate, tmpl},
          {kLabelCreated, std::to_string(unix_now())},
          {kLabelPid, std::string(host) + ":" + std::to_string(::getpid())}};
}

namespace {
std::mutex g_pending_mu;
std::vector<std::string> g_pending;  // containers whose removal failed
}  // namespace

ContainerGuard::~ContainerGuard() {
  if (id_.empty()) return;
  try {
    client_.remove(id_);
  } catch (...) {
    // The engine is away: this process retries later, and `orch gc` finds it by label if we exit first.
    std::lock_guard<std::mutex> lock(g_pending_mu);
    if (g_pending.size() < 10000) g_pending.push_back(id_);
  }
}

void retry_pending_removals(docker::Client& client) {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(g_pending_mu);
    ids.swap(g_pending);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    try {
      client.remove(ids[i]);
    } catch (...) {
      std::lock_guard<std::mutex> lock(g_pending_mu);
      g_pending.insert(g_pending.end(), ids.begin() + static_cast<long>(i), ids.end());
      return;  // still away
    }
  }
}

}  // namespace orch::sandbox
