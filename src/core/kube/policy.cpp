#include "core/kube/policy.hpp"

#include "core/engine/engine.hpp"
#include "core/kube/pod.hpp"
#include "core/sandbox/spec.hpp"
#include "core/util/ip.hpp"

namespace orch::kube {

using nlohmann::json;

namespace {

json policy(const std::string& name, const engine::Labels& exact, json spec) {
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "NetworkPolicy"},
          {"metadata", labelled_metadata(name, exact)},
          {"spec", std::move(spec)}};
}

// Everything of one address family but the ranges a sandbox on the bridge must not reach.
json public_block(bool v6) {
  std::vector<std::string> except;
  auto ranges = engine::refused_ranges(engine::Egress{false});
  for (const auto& r : ranges_of_class("loopback")) ranges.push_back(r.str());
  for (const auto& r : ranges)
    if ((r.find(':') != std::string::npos) == v6) except.push_back(r);
  return {{"ipBlock", {{"cidr", v6 ? "::/0" : "0.0.0.0/0"}, {"except", except}}}};
}

}  // namespace

json deny_all_policy() {
  json p = policy("orch-sandbox-deny-all", {},
                  {{"podSelector", {{"matchLabels", {{sandbox::kLabelManaged, "1"}, {"orch.net", "none"}}}}},
                   {"policyTypes", json::array({"Ingress", "Egress"})}});
  p["metadata"].erase("annotations");
  return p;
}

json network_policy(const engine::NetworkSpec& n) {
  std::string group = label_value(n.name);
  json peers = json::array({{{"podSelector", {{"matchLabels", {{kLabelNetGroup, group}}}}}}});
  json spec = {{"podSelector", {{"matchLabels", {{kLabelNetGroup, group}}}}},
               {"policyTypes", n.internal ? json::array({"Ingress", "Egress"}) : json::array({"Ingress"})},
               {"ingress", json::array({{{"from", peers}}})}};
  if (n.internal) spec["egress"] = json::array({{{"to", peers}}});
  return policy(dns_label(n.name), n.labels, std::move(spec));
}

std::string egress_policy_name(const std::string& pod) { return dns_label(pod).substr(0, 56) + "-egress"; }

json egress_policy(const engine::SandboxSpec& s) {
  std::string pod = dns_label(s.name);
  json dns_pods = {{"namespaceSelector", {{"matchLabels", {{"kubernetes.io/metadata.name", "kube-system"}}}}},
                   {"podSelector", {{"matchLabels", {{"k8s-app", "kube-dns"}}}}}};
  json dns_ports = json::array({{{"protocol", "UDP"}, {"port", 53}}, {{"protocol", "TCP"}, {"port", 53}}});
  json spec = {{"podSelector", {{"matchLabels", {{kLabelEgress, pod}}}}},
               {"policyTypes", json::array({"Ingress", "Egress"})},
               {"egress", json::array({{{"to", json::array({public_block(false), public_block(true)})}},
                                       {{"to", json::array({dns_pods})}, {"ports", dns_ports}}})}};
  return policy(egress_policy_name(pod), s.labels, std::move(spec));
}

}  // namespace orch::kube
