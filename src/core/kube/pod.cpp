#include "core/kube/pod.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/error.hpp"
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

json memory_volume(const char* name, const std::string& size) {
  return {{"name", name}, {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", quantity(parse_bytes(size, name))}}}};
}

}  // namespace

PodOptions pod_options_from_env() {
  PodOptions o;
  o.runtime_class = env_get("ORCH_K8S_RUNTIME_CLASS", "gvisor");
  o.seccomp_localhost = env_get("ORCH_K8S_SECCOMP_PROFILE", "");
  o.ephemeral_storage = env_get("ORCH_K8S_EPHEMERAL_STORAGE", o.ephemeral_storage);
  return o;
}

std::string pod_name(const std::string& id) {
  std::string name = "orch-";
  for (char c : id) name += alnum(c) ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '-';
  if (name.size() > 63) name.resize(63);
  while (!name.empty() && name.back() == '-') name.pop_back();
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

std::string quantity(int64_t bytes) {
  static const std::pair<int64_t, const char*> units[] = {{1LL << 40, "Ti"}, {1LL << 30, "Gi"}, {1LL << 20, "Mi"}, {1LL << 10, "Ki"}};
  for (const auto& [size, suffix] : units)
    if (bytes >= size && bytes % size == 0) return std::to_string(bytes / size) + suffix;
  return std::to_string(bytes);
}

json pod_manifest(const engine::SandboxSpec& s, const std::string& name, const PodOptions& opts) {
  if (!s.host_mounts.empty())
    throw Error(ErrorKind::BadInput, "a sandbox pod cannot mount a host directory (direct output is Docker-only)");
  auto scratch = [&s](const std::string& path) {
    for (const auto& m : s.scratch)
      if (m.path == path) return m;
    return engine::ScratchMount{path, "64m", "", "0755"};
  };
  auto [uid, gid] = numeric_user(s.user);
  std::string ws_owner = scratch("/workspace").owner;
  auto [ws_uid, ws_gid] = numeric_user(ws_owner.empty() ? s.user : ws_owner);
  (void)ws_uid;

  json labels = json::object();
  for (const auto& [k, v] : s.labels)
    if (valid_label_key(k)) labels[k] = label_value(v);
  bool isolated = s.network == "none";
  bool private_net = !isolated && s.network != "bridge";
  labels["orch.net"] = isolated ? "none" : private_net ? "private" : "bridge";
  if (private_net) labels[kLabelNetGroup] = label_value(s.network);

  json env = json::array();
  for (const auto& kv : s.env) {
    auto eq = kv.find('=');
    env.push_back({{"name", kv.substr(0, eq)}, {"value", eq == std::string::npos ? "" : kv.substr(eq + 1)}});
  }
  std::string cpu = std::to_string(static_cast<int64_t>(std::llround(s.cpus * 1000))) + "m";
  json limits = {{"memory", quantity(s.memory_bytes)}, {"cpu", cpu}, {"ephemeral-storage", opts.ephemeral_storage}};
  json seccomp = opts.seccomp_localhost.empty()
                     ? json{{"type", "RuntimeDefault"}}
                     : json{{"type", "Localhost"}, {"localhostProfile", opts.seccomp_localhost}};
  json container = {
      {"name", "sandbox"},
      {"image", s.image},
      {"imagePullPolicy", "IfNotPresent"},
      {"args", s.argv},
      {"env", env},
      {"workingDir", "/workspace"},
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
        {"readOnlyRootFilesystem", true},
        {"capabilities", {{"drop", json::array({"ALL"})}}},
        {"seccompProfile", seccomp}}},
      {"volumeMounts", json::array({{{"name", "workspace"}, {"mountPath", "/workspace"}},
                                    {{"name", "tmp"}, {"mountPath", "/tmp"}},
                                    {{"name", "dshm"}, {"mountPath", "/dev/shm"}}})},
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
      {"shareProcessNamespace", true},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", uid},
        {"runAsGroup", gid},
        {"fsGroup", ws_gid},
        {"seccompProfile", seccomp}}},
      {"volumes", json::array({memory_volume("workspace", scratch("/workspace").size), memory_volume("tmp", scratch("/tmp").size),
                               memory_volume("dshm", "16m")})},
  };
  if (isolated) {
    // No cluster DNS either: a name lookup fails at once instead of reaching kube-dns.
    spec["dnsPolicy"] = "None";
    spec["dnsConfig"] = {{"nameservers", json::array({"127.0.0.1"})}};
  }
  if (s.runtime == "runsc" && !opts.runtime_class.empty()) spec["runtimeClassName"] = opts.runtime_class;
  if (opts.active_deadline_s > 0) spec["activeDeadlineSeconds"] = opts.active_deadline_s;
  json annotations = {{kAnnotationLabels, json(s.labels).dump()}};
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"labels", labels}, {"annotations", annotations}}},
          {"spec", spec}};
}

json deny_all_policy() {
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "NetworkPolicy"},
          {"metadata", {{"name", "orch-sandbox-deny-all"}, {"labels", {{sandbox::kLabelManaged, "1"}}}}},
          {"spec",
           {{"podSelector", {{"matchLabels", {{sandbox::kLabelManaged, "1"}, {"orch.net", "none"}}}}},
            {"policyTypes", json::array({"Ingress", "Egress"})}}}};
}

std::string session_policy_name(const std::string& session_id) { return pod_name(session_id) + "-net"; }

json session_network_policy(const std::string& session_id) {
  std::string group = label_value("orch-" + session_id);
  json peers = json::array({{{"podSelector", {{"matchLabels", {{kLabelNetGroup, group}}}}}}});
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "NetworkPolicy"},
          {"metadata",
           {{"name", session_policy_name(session_id)},
            {"labels", {{sandbox::kLabelManaged, "1"}, {sandbox::kLabelKind, "session"}, {sandbox::kLabelId, session_id}}}}},
          {"spec",
           {{"podSelector", {{"matchLabels", {{kLabelNetGroup, group}}}}},
            {"policyTypes", json::array({"Ingress", "Egress"})},
            {"ingress", json::array({{{"from", peers}}})},
            {"egress", json::array({{{"to", peers}}})}}}};
}

}  // namespace orch::kube
