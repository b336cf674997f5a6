#include "core/sandbox/spec.hpp"

#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <string_view>

#include "core/error.hpp"
#include "core/sandbox/limits.hpp"
#include "core/sandbox/seccomp.hpp"
#include "core/util/random.hpp"
#include "core/util/units.hpp"

namespace orch::sandbox {

namespace {

void check_limits(const engine::SandboxSpec& s) {
  check_memory(s.memory_bytes);
  check_cpus(s.cpus);
  check_pids(s.pids);
  for (const auto& m : s.scratch) parse_bytes(m.size, m.path == "/workspace" ? "workspace size" : "tmp size");
}

}  // namespace

engine::SandboxSpec sandbox_spec(const templates::Template& t, const SandboxRequest& r) {
  const auto& lim = t.limits;
  engine::SandboxSpec s;
  s.name = "orch-" + r.id;
  s.image = t.image;
  s.user = t.user;
  s.memory_bytes = r.memory_bytes.value_or(lim.memory_bytes);
  s.cpus = r.cpus.value_or(lim.cpus);
  s.pids = r.pids.value_or(lim.pids);
  s.network = r.network.value_or(t.network);
  s.runtime = r.runtime.value_or(t.runtime);
  s.scratch = {{"/tmp", lim.tmp_size, "", "1777"}, {"/workspace", r.workspace_size.value_or(lim.workspace_size), t.user, "0755"}};
  s.seccomp_profile = seccomp_profile();
  s.open_stdin = true;
  check_limits(s);
  s.labels = base_labels(r.kind, r.id, t.name);
  for (const auto& [k, v] : r.labels) s.labels[k] = v;
  s.env = {"HOME=/workspace"};
  if (r.kind == "run") s.env.push_back("ORCH_RUN_ID=" + r.id);
  if (r.kind == "session") s.env.push_back("ORCH_SESSION_ID=" + r.id);
  for (const auto& [k, v] : t.env) s.env.push_back(k + "=" + v);
  s.env.insert(s.env.end(), r.env.begin(), r.env.end());
  return s;
}

bool same_limits(const engine::SandboxSpec& a, const engine::SandboxSpec& b) {
  auto sizes = [](const engine::SandboxSpec& s) {
    std::vector<std::string> out;
    for (const auto& m : s.scratch) out.push_back(m.path + "=" + m.size);
    return out;
  };
  return a.memory_bytes == b.memory_bytes && a.cpus == b.cpus && a.pids == b.pids && a.network == b.network &&
         a.runtime == b.runtime && sizes(a) == sizes(b);
}

std::optional<int64_t> expiry_of(const engine::SandboxInfo& s) {
  if (s.expires) return s.expires;
  auto label = s.labels.find(kLabelExpires);
  if (label == s.labels.end() || label->second.empty()) return std::nullopt;
  return std::strtoll(label->second.c_str(), nullptr, 10);
}

std::string process_place() {
  // A process keeps its pid namespace: read once (gc asks for every sandbox it lists).
  static const std::string pid_namespace = [] {
    // The kernel gives its first pid namespace a fixed inode number (PROC_PID_INIT_INO).
    constexpr const char* kHostPidNamespace = "pid:[4026531836]";
    char ns[64] = {};
    ssize_t n = ::readlink("/proc/self/ns/pid", ns, sizeof ns - 1);
    std::string_view v(ns, n > 0 ? static_cast<size_t>(n) : 0);
    auto open = v.find('['), close = v.find(']');
    if (v.empty() || v == kHostPidNamespace || open == std::string_view::npos || close < open) return std::string();
    return "/pidns-" + std::string(v.substr(open + 1, close - open - 1));
  }();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host + pid_namespace;
}

std::map<std::string, std::string> base_labels(const std::string& kind, const std::string& id, const std::string& tmpl) {
  return {{kLabelManaged, "1"},
          {kLabelKind, kind},
          {kLabelId, id},
          {kLabelTemplate, tmpl},
          {kLabelCreated, std::to_string(unix_now())},
          {kLabelPid, process_place() + ":" + std::to_string(::getpid())}};
}

namespace {
std::mutex g_pending_mu;
std::vector<std::string> g_pending;  // sandboxes whose removal failed
}  // namespace

ContainerGuard::~ContainerGuard() {
  if (id_.empty()) return;
  try {
    engine_.remove(id_);
  } catch (...) {
    // The engine is away: this process retries later, and `orch gc` finds it by label if we exit first.
    std::lock_guard<std::mutex> lock(g_pending_mu);
    if (g_pending.size() < 10000) g_pending.push_back(id_);
  }
}

void retry_pending_removals(engine::Engine& engine) {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(g_pending_mu);
    ids.swap(g_pending);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    try {
      engine.remove(ids[i]);
    } catch (...) {
      std::lock_guard<std::mutex> lock(g_pending_mu);
      g_pending.insert(g_pending.end(), ids.begin() + static_cast<long>(i), ids.end());
      return;  // still away
    }
  }
}

}  // namespace orch::sandbox
