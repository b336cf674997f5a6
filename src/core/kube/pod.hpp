#pragma once
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/engine/spec.hpp"

namespace orch::kube {

// Cluster-wide choices for sandbox pods, from the server's (or CLI's) environment.
struct PodOptions {
  std::string runtime_class;      // runtimeClassName for sandboxes asking for runsc ("gvisor" by default)
  std::string seccomp_localhost;  // a Localhost profile (relative to the kubelet's seccomp dir); "" = RuntimeDefault
  int64_t active_deadline_s = 86400;  // wall-clock backstop for every pod; 0 = none
  std::string ephemeral_storage = "64Mi";  // logs and anything else the kubelet puts on the node's disk
  // An image carrying orch at /usr/bin/orch (deploy/docker's, the server's own): an init container
  // copies the agent from it for sessions; "" = the agent goes in through the session's stdin.
  std::string agent_image;
};

// Where a sandbox pod holds orch's agent when PodOptions::agent_image is set: a read-only emptyDir.
inline constexpr const char* kAgentDir = "/.orch-agent";
inline constexpr const char* kAgentPath = "/.orch-agent/orch";

// PodOptions from ORCH_K8S_RUNTIME_CLASS, ORCH_K8S_SECCOMP_PROFILE, ORCH_K8S_EPHEMERAL_STORAGE,
// ORCH_K8S_MAX_LIFETIME (seconds) and ORCH_K8S_AGENT_IMAGE.
PodOptions pod_options_from_env();

// The label orch.net carries ("none", "bridge" or "private") and the one that groups a private
// session's pods under its NetworkPolicy.
inline constexpr const char* kLabelNetGroup = "orch.netgroup";
// On a pod with a network (orch.net=bridge): its own name, which its egress policy selects.
inline constexpr const char* kLabelEgress = "orch.egress";
// Every orch label with its exact value (label values cannot hold ':' or be long), as JSON.
inline constexpr const char* kAnnotationLabels = "orch.labels";
// On a pod whose spec asked for remove_on_exit: Kubernetes keeps a bare pod that ended, so orch
// deletes it the first time it sees it ended (KubeEngine's list and inspect).
inline constexpr const char* kAnnotationRemoveOnExit = "orch.remove-on-exit";

// Lowercase DNS-1123 label (pod names, host names, policy names): at most 63 characters.
std::string dns_label(const std::string& text);
bool valid_label_value(const std::string& v);
bool valid_label_key(const std::string& k);
// The value as a label can carry it: invalid characters become '_', trimmed to 63, alphanumeric ends.
std::string label_value(const std::string& v);
// Metadata for an object of orch's other than a pod (a policy, a record): orch.managed=1 and the
// label-safe labels, with the exact ones in the kAnnotationLabels annotation.
nlohmann::json labelled_metadata(const std::string& name, const engine::Labels& exact);
// Orch's byte sizes as Kubernetes quantities: 67108864 -> "64Mi".
std::string quantity(int64_t bytes);

// The Pod for one sandbox, under the restricted Pod Security Standard: non-root numeric user,
// no privilege escalation, every capability dropped, read-only root, seccomp, memory-backed
// scratch mounts and /dev/shm with size limits, limits equal to requests, no service-account
// token, no service links, no host namespaces. Throws orch::Error(BadInput) for what a pod cannot
// express (a root or non-numeric user, host directories, added capabilities, a shared process
// namespace with another sandbox).
nlohmann::json pod_manifest(const engine::SandboxSpec& spec, const PodOptions& opts);

}  // namespace orch::kube
