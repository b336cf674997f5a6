#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "core/engine/spec.hpp"

namespace orch::kube {

// Denies all ingress and egress for pods labelled orch.net=none (enforced by the cluster's CNI).
nlohmann::json deny_all_policy();
// A network orch made (a private session network): its pods, labelled orch.netgroup, reach each
// other; an internal one reaches nothing else.
nlohmann::json network_policy(const engine::NetworkSpec& network);

// The name of the egress policy of the sandbox pod named `pod`.
std::string egress_policy_name(const std::string& pod);
// The firewall of one sandbox with a network (orch.net=bridge), made before its pod: no ingress;
// egress to every address but the private, link-local, loopback and special ranges (IPv4 and
// IPv6), and DNS (port 53) only to the cluster's DNS pods (k8s-app=kube-dns in kube-system).
// It carries the sandbox's labels, so gc finds it when the pod is gone.
nlohmann::json egress_policy(const engine::SandboxSpec& spec);

}  // namespace orch::kube
