#include "core/kube/pod.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/error.hpp"
#include "core/sandbox/spec.hpp"
#include "core/util/units.hpp"

namespace orch::kube {

using nlohmann::json;

namespace {

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// "uid:gid" or "uid" as numbers; a pod cannot name a user, and restricted pods cannot be root.
std::pair<int64_t, int64_t> numeric_user(const std::string& user) {
  unsigned long uid = 0, gid = 0;
  int n = std::sscanf(user.c_str(), "%lu:%lu", &uid, &gid);
  if (n < 1 || user.find_first_not_of("0123456789:") != std::string::npos)
    throw Error(ErrorKind::BadInput, "a sandbox pod needs a numeric user (uid:gid), not '" + user +
                                         "': set \"user\" in the template to numbers");
  if (uid == 0) throw Error(ErrorKind::BadInput, "a sandbox pod cannot run as root (user '" + user + "')");
  return {static_cast<int64_t>(uid), static_cast<int64_t>(n == 2 ? gid : uid)};
}

std::string env_get(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

json memory_volume(const std::string& name, const std::string& size) {
  return {{"name", name}, {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", quantity(parse_bytes(size, name))}}}};
}

std::string volume_name(const std::string& path, size_t index) {
  if (path == "/workspace") return "workspace";
  if (path == "/tmp") return "tmp";
  return "scratch-" + std::to_string(index);
}

// Copies orch from its image into the emptyDir the sandbox mounts read-only, as a user no sandbox
// runs as; its limits are the sandbox's, so the pod asks the scheduler for nothing more.
json agent_init_container(const PodOptions& opts, const json& limits, const json& seccomp) {
  constexpr int64_t kAgentOwner = 59999;
  return {{"name", "orch-agent"},
          {"image", opts.agent_image},
          {"imagePullPolicy", "IfNotPresent"},
          {"command", json::array({"/usr/bin/orch", "agent", "install", kAgentPath})},
          {"resources", {{"limits", limits}, {"requests", limits}}},
          {"securityContext",
           {{"runAsNonRoot", true},
            {"runAsUser", kAgentOwner},
            {"runAsGroup", kAgentOwner},
            {"allowPrivilegeEscalation", false},
            {"privileged", false},
            {"readOnlyRootFilesystem", true},
            {"capabilities", {{"drop", json::array({"ALL"})}}},
            {"seccompProfile", seccomp}}},
          {"volumeMounts", json::array({{{"name", "orch-agent"}, {"mountPath", kAgentDir}}})},
          {"terminationMessagePolicy", "FallbackToLogsOnError"}};
}

[[noreturn]] void cannot(const std::string& what) {
  throw Error(ErrorKind::BadInput, "a sandbox pod cannot " + what + " (the Kubernetes backend does not support it)");
}

}  // namespace

PodOptions pod_options_from_env() {
  PodOptions o;
  o.runtime_class = env_get("ORCH_K8S_RUNTIME_CLASS", "gvisor");
  o.seccomp_localhost = env_get("ORCH_K8S_SECCOMP_PROFILE", "");
  o.ephemeral_storage = env_get("ORCH_K8S_EPHEMERAL_STORAGE", o.ephemeral_storage);
  o.agent_image = env_get("ORCH_K8S_AGENT_IMAGE", "");
  o.active_deadline_s = std::strtoll(env_get("ORCH_K8S_MAX_LIFETIME", std::to_string(o.active_deadline_s)).c_str(), nullptr, 10);
  return o;
}

std::string dns_label(const std::string& text) {
  std::string name;
  for (char c : text) name += alnum(c) ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '-';
  if (name.size() > 63) name.resize(63);
  while (!name.empty() && name.back() == '-') name.pop_back();
  while (!name.empty() && name.front() == '-') name.erase(0, 1);
  return name;
}

bool valid_label_value(const std::string& v) {
  if (v.empty()) return true;
  if (v.size() > 63 || !alnum(v.front()) || !alnum(v.back())) return false;
  for (char c : v)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

bool valid_label_key(const std::string& k) {
  auto slash = k.find('/');
  std::string name = slash == std::string::npos ? k : k.substr(slash + 1);
  if (name.empty() || !valid_label_value(name)) return false;
  if (slash == std::string::npos) return true;
  std::string prefix = k.substr(0, slash);
  if (prefix.empty() || prefix.size() > 253) return false;
  for (char c : prefix)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.'))
      return false;
  return true;
}

std::string label_value(const std::string& v) {
  std::string out;
  for (char c : v) out += alnum(c) || c == '-' || c == '_' || c == '.' ? c : '_';
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && !alnum(out.back())) out.pop_back();
  while (!out.empty() && !alnum(out.front())) out.erase(0, 1);
  return out;
}

json labelled_metadata(const std::string& name, const engine::Labels& exact) {
  json labels = {{sandbox::kLabelManaged, "1"}};
  for (const auto& [k, v] : exact)
    if (valid_label_key(k)) labels[k] = label_value(v);
  return {{"name", name}, {"labels", labels}, {"annotations", {{kAnnotationLabels, json(exact).dump()}}}};
}

std::string quantity(int64_t bytes) {
  static const std::pair<int64_t, const char*> units[] = {{1LL << 40, "Ti"}, {1LL << 30, "Gi"}, {1LL << 20, "Mi"}, {1LL << 10, "Ki"}};
  for (const auto& [size, suffix] : units)
    if (bytes >= size && bytes % size == 0) return std::to_string(bytes / size) + suffix;
  return std::to_string(bytes);
}

json pod_manifest(const engine::SandboxSpec& s, const PodOptions& opts) {
  if (!s.host_mounts.empty()) cannot("mount a host directory (direct output is Docker-only)");
  if (!s.add_capabilities.empty()) cannot("add capabilities under the restricted profile");
  if (!s.share_pids_with.empty()) cannot("join another sandbox's processes");
  if (s.lan && s.network == "bridge")
    throw Error(ErrorKind::BadInput,
                "a sandbox pod cannot have network 'lan': on a cluster the private ranges hold the pod network, "
                "Services, the nodes and often the API server, which no NetworkPolicy tells apart from the "
                "private networks around the cluster; use 'bridge' (the public internet) or a private session network");
  // exec cannot switch users on Kubernetes: the pod runs as the user owning /workspace (a session's
  // kernels run as that user; its supervisor shares it).
  std::string user = s.user, group_owner = s.user;
  for (const auto& m : s.scratch)
    if (!m.owner.empty()) user = group_owner = m.owner;
  auto [uid, gid] = numeric_user(user);
  auto [owner_uid, fs_group] = numeric_user(group_owner);
  (void)owner_uid;
  std::string name = dns_label(s.name);
  if (name.empty()) throw Error(ErrorKind::BadInput, "a sandbox pod needs a name");

  json labels = json::object();
  for (const auto& [k, v] : s.labels)
    if (valid_label_key(k)) labels[k] = label_value(v);
  bool isolated = s.network == "none";
  bool private_net = !isolated && s.network != "bridge";
  labels["orch.net"] = isolated ? "none" : private_net ? "private" : "bridge";
  if (private_net) labels[kLabelNetGroup] = label_value(s.network);
  if (!isolated && !private_net) labels[kLabelEgress] = name;

  json env = json::array();
  for (const auto& kv : s.env) {
    auto eq = kv.find('=');
    env.push_back({{"name", kv.substr(0, eq)}, {"value", eq == std::string::npos ? "" : kv.substr(eq + 1)}});
  }
  std::string cpu = std::to_string(static_cast<int64_t>(std::llround(s.cpus * 1000))) + "m";
  json limits = {{"memory", quantity(s.memory_bytes)}, {"cpu", cpu}, {"ephemeral-storage", opts.ephemeral_storage}};
  json volumes = json::array(), mounts = json::array();
  for (size_t i = 0; i < s.scratch.size(); ++i) {
    std::string v = volume_name(s.scratch[i].path, i);
    volumes.push_back(memory_volume(v, s.scratch[i].size));
    mounts.push_back({{"name", v}, {"mountPath", s.scratch[i].path}});
  }
  if (s.hardened_limits) {
    volumes.push_back(memory_volume("dshm", "16m"));
    mounts.push_back({{"name", "dshm"}, {"mountPath", "/dev/shm"}});
  }
  json seccomp = opts.seccomp_localhost.empty()
                     ? json{{"type", "RuntimeDefault"}}
                     : json{{"type", "Localhost"}, {"localhostProfile", opts.seccomp_localhost}};
  if (s.with_agent) {
    if (opts.agent_image.empty()) cannot("carry orch's agent without ORCH_K8S_AGENT_IMAGE");
    // On the node's disk, not in memory: the binary counts against ephemeral storage, not the sandbox's memory.
    volumes.push_back({{"name", "orch-agent"}, {"emptyDir", {{"sizeLimit", "64Mi"}}}});
    mounts.push_back({{"name", "orch-agent"}, {"mountPath", kAgentDir}, {"readOnly", true}});
  }
  json container = {
      {"name", "sandbox"},
      {"image", s.image},
      {"imagePullPolicy", "IfNotPresent"},
      {"args", s.argv},
      {"env", env},
      {"workingDir", s.workdir},
      {"stdin", s.open_stdin},
      {"stdinOnce", s.open_stdin},
      {"tty", false},
      {"resources", {{"limits", limits}, {"requests", limits}}},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", uid},
        {"runAsGroup", gid},
        {"allowPrivilegeEscalation", false},
        {"privileged", false},
        {"readOnlyRootFilesystem", s.read_only_root},
        {"capabilities", {{"drop", json::array({"ALL"})}}},
        {"seccompProfile", seccomp}}},
      {"volumeMounts", mounts},
      {"terminationMessagePolicy", "File"},
  };
  json spec = {
      {"containers", json::array({container})},
      {"restartPolicy", "Never"},
      {"terminationGracePeriodSeconds", 1},
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
      {"hostNetwork", false},
      {"hostPID", false},
      {"hostIPC", false},
      // The pause process becomes PID 1 and reaps orphans, as Docker's --init does.
      {"shareProcessNamespace", s.init},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", uid},
        {"runAsGroup", gid},
        {"fsGroup", fs_group},
        {"seccompProfile", seccomp}}},
      {"volumes", volumes},
  };
  if (s.with_agent) spec["initContainers"] = json::array({agent_init_container(opts, limits, seccomp)});
  if (isolated) {
    // No cluster DNS either: a name lookup fails at once instead of reaching kube-dns.
    spec["dnsPolicy"] = "None";
    spec["dnsConfig"] = {{"nameservers", json::array({"127.0.0.1"})}};
  }
  if (s.runtime == "runsc" && !opts.runtime_class.empty()) spec["runtimeClassName"] = opts.runtime_class;
  if (opts.active_deadline_s > 0) spec["activeDeadlineSeconds"] = opts.active_deadline_s;
  if (!s.hostname.empty()) spec["hostname"] = dns_label(s.hostname);
  if (s.expires) labels[sandbox::kLabelExpires] = std::to_string(*s.expires);
  json annotations = {{kAnnotationLabels, json(s.labels).dump()}};
  if (s.remove_on_exit) annotations[kAnnotationRemoveOnExit] = "1";
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"labels", labels}, {"annotations", annotations}}},
          {"spec", spec}};
}

}  // namespace orch::kube
