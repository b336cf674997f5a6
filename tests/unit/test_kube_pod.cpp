// Pod manifests for each kind of sandbox against golden files (tests/fixtures/kube/*.json; set
// ORCH_UPDATE_GOLDEN=1 to rewrite them after a deliberate change, then review the diff).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/kube/pod.hpp"
#include "core/kube/policy.hpp"
#include "core/sandbox/spec.hpp"

using namespace orch;
using namespace orch::kube;
using nlohmann::json;

namespace {

void check_golden(const json& got, const std::string& name) {
  auto path = std::filesystem::path(__FILE__).parent_path() / "../fixtures/kube" / name;
  if (std::getenv("ORCH_UPDATE_GOLDEN")) std::ofstream(path) << got.dump(2) << "\n";
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "missing golden file " << path);
  std::ostringstream ss;
  ss << in.rdbuf();
  json want = json::parse(ss.str());
  CHECK_MESSAGE(got == want, name << " differs:\n" << json::diff(want, got).dump(2));
}

std::map<std::string, std::string> fixed_labels(const std::string& kind, const std::string& id) {
  return {{sandbox::kLabelManaged, "1"}, {sandbox::kLabelKind, kind}, {sandbox::kLabelId, id},
          {sandbox::kLabelTemplate, "python"}, {sandbox::kLabelCreated, "1700000000"}, {sandbox::kLabelPid, "builder-7:4242"}};
}

engine::SandboxSpec run_spec() {
  engine::SandboxSpec s;
  s.name = "orch-r-0123456789ab";
  s.image = "orch/python:latest";
  s.argv = {"/bin/sh", "-c", "boot"};
  s.scratch = {{"/tmp", "64m", "", "1777"}, {"/workspace", "64m", "1000:1000", "0755"}};
  s.seccomp_profile = "{}";
  s.env = {"HOME=/workspace", "ORCH_RUN_ID=r-0123456789ab", "EMPTY="};
  s.memory_bytes = 256LL << 20;
  s.cpus = 0.5;
  s.labels = fixed_labels("run", "r-0123456789ab");
  s.open_stdin = true;
  return s;
}

// Every field the restricted Pod Security Standard asks for, and orch's own hardening besides.
void check_restricted(const json& pod) {
  const json& spec = pod["spec"];
  CHECK(spec["automountServiceAccountToken"] == false);
  CHECK(spec["enableServiceLinks"] == false);
  CHECK(spec["hostNetwork"] == false);
  CHECK(spec["hostPID"] == false);
  CHECK(spec["hostIPC"] == false);
  CHECK(spec["restartPolicy"] == "Never");
  CHECK(spec["securityContext"]["runAsNonRoot"] == true);
  CHECK(spec["securityContext"]["runAsUser"].get<int64_t>() > 0);
  CHECK(spec["securityContext"]["seccompProfile"]["type"].is_string());
  for (const auto& v : spec["volumes"]) {
    CHECK(v.size() == 2);  // name and an emptyDir: no hostPath, no other volume type
    CHECK(v["emptyDir"]["medium"] == "Memory");
    CHECK(v["emptyDir"]["sizeLimit"].is_string());
  }
  REQUIRE(spec["containers"].size() == 1);
  const json& c = spec["containers"][0];
  const json& sc = c["securityContext"];
  CHECK(sc["runAsNonRoot"] == true);
  CHECK(sc["runAsUser"].get<int64_t>() > 0);
  CHECK(sc["allowPrivilegeEscalation"] == false);
  CHECK(sc["privileged"] == false);
  CHECK(sc["readOnlyRootFilesystem"] == true);
  CHECK(sc["capabilities"] == json{{"drop", {"ALL"}}});
  CHECK_FALSE(sc["capabilities"].contains("add"));
  std::string seccomp = sc["seccompProfile"]["type"];
  CHECK((seccomp == "RuntimeDefault" || seccomp == "Localhost"));
  CHECK(c["resources"]["limits"].contains("memory"));
  CHECK(c["resources"]["limits"].contains("cpu"));
  CHECK(c["resources"]["limits"].contains("ephemeral-storage"));
  CHECK(c["resources"]["requests"] == c["resources"]["limits"]);
  CHECK_FALSE(c.contains("ports"));
  std::set<std::string> mounts;
  for (const auto& m : c["volumeMounts"]) mounts.insert(m["mountPath"].get<std::string>());
  CHECK(mounts == std::set<std::string>{"/workspace", "/tmp", "/dev/shm"});
}

}  // namespace

TEST_CASE("one-shot run pod: golden manifest, restricted, isolated network, deadline") {
  PodOptions o;
  o.active_deadline_s = 60;
  json pod = pod_manifest(run_spec(), o);
  CHECK(pod["metadata"]["name"] == "orch-r-0123456789ab");
  check_restricted(pod);
  CHECK(pod["metadata"]["labels"]["orch.net"] == "none");
  CHECK(pod["spec"]["dnsPolicy"] == "None");
  CHECK(pod["spec"]["activeDeadlineSeconds"] == 60);
  CHECK_FALSE(pod["spec"].contains("runtimeClassName"));
  CHECK(pod["spec"]["shareProcessNamespace"] == true);
  check_golden(pod, "pod_run.json");
}

TEST_CASE("warm pool pod: golden manifest") {
  engine::SandboxSpec s = run_spec();
  s.name = "orch-p-00000000000a";
  s.argv = {"python3", "-u", "/opt/orch/warm.py"};
  s.env = {"HOME=/workspace"};
  s.labels = fixed_labels("pool", "p-00000000000a");
  s.memory_bytes = 512LL << 20;
  s.cpus = 1;
  PodOptions o;
  o.active_deadline_s = 0;
  json pod = pod_manifest(s, o);
  check_restricted(pod);
  CHECK_FALSE(pod["spec"].contains("activeDeadlineSeconds"));
  check_golden(pod, "pod_pool.json");
}

TEST_CASE("session pod on a private network under gVisor with a Localhost seccomp profile: golden manifest") {
  engine::SandboxSpec s = run_spec();
  s.name = "orch-s-0123456789ab";
  s.user = "59999:59999";  // the supervisor's: exec cannot switch users, so the pod runs as /workspace's owner
  s.scratch[1].owner = "1000:1001";
  s.scratch[1].size = "1g";
  s.expires = 1700003600;
  s.network = "orch-s-0123456789ab";
  s.runtime = "runsc";
  s.labels = fixed_labels("session", "s-0123456789ab");
  s.labels[sandbox::kLabelOwner] = "team a";
  s.labels["orch.net"] = "private";
  s.labels["project"] = "demo";
  s.labels["not a key"] = "kept in the annotation";
  s.remove_on_exit = true;  // Kubernetes keeps an ended pod: the annotation asks orch to delete it
  PodOptions o;
  o.runtime_class = "gvisor";
  o.seccomp_localhost = "orch/seccomp.json";
  o.active_deadline_s = 86400;
  json pod = pod_manifest(s, o);
  CHECK(pod["spec"]["securityContext"]["runAsUser"] == 1000);
  CHECK(pod["metadata"]["labels"][sandbox::kLabelExpires] == "1700003600");
  check_restricted(pod);
  CHECK(pod["spec"]["runtimeClassName"] == "gvisor");
  CHECK(pod["spec"]["securityContext"]["fsGroup"] == 1001);
  CHECK(pod["metadata"]["labels"][kLabelNetGroup] == "orch-s-0123456789ab");
  CHECK(pod["metadata"]["labels"][sandbox::kLabelOwner] == "team_a");
  CHECK_FALSE(pod["metadata"]["labels"].contains("not a key"));
  json exact = json::parse(pod["metadata"]["annotations"][kAnnotationLabels].get<std::string>());
  CHECK(exact["orch.pid"] == "builder-7:4242");
  CHECK(exact["not a key"] == "kept in the annotation");
  CHECK_FALSE(pod["spec"].contains("dnsPolicy"));
  check_golden(pod, "pod_session.json");
}

TEST_CASE("a session pod carrying orch's agent: a restricted init container copies it into a read-only emptyDir on disk") {
  engine::SandboxSpec s = run_spec();
  s.with_agent = true;
  CHECK_THROWS_AS(pod_manifest(s, {}), Error);  // no image to take the agent from
  PodOptions o;
  o.agent_image = "registry.example/orch:1.2";
  json pod = pod_manifest(s, o);
  const json& spec = pod["spec"];
  REQUIRE(spec["initContainers"].size() == 1);
  const json& init = spec["initContainers"][0];
  const json& main = spec["containers"][0];
  CHECK(init["image"] == "registry.example/orch:1.2");
  CHECK(init["command"] == json::array({"/usr/bin/orch", "agent", "install", kAgentPath}));
  CHECK(init["resources"] == main["resources"]);  // the pod asks the scheduler for nothing more
  const json& sc = init["securityContext"];
  CHECK(sc["runAsNonRoot"] == true);
  CHECK(sc["runAsUser"].get<int64_t>() > 0);
  CHECK(sc["runAsUser"] != main["securityContext"]["runAsUser"]);  // the sandbox's user does not own the agent
  CHECK(sc["allowPrivilegeEscalation"] == false);
  CHECK(sc["privileged"] == false);
  CHECK(sc["readOnlyRootFilesystem"] == true);
  CHECK(sc["capabilities"] == json{{"drop", {"ALL"}}});
  CHECK(sc["seccompProfile"] == main["securityContext"]["seccompProfile"]);
  CHECK(init["volumeMounts"] == json::array({{{"name", "orch-agent"}, {"mountPath", kAgentDir}}}));
  json agent_mount = json::array();
  for (const auto& m : main["volumeMounts"])
    if (m["name"] == "orch-agent") agent_mount.push_back(m);
  CHECK(agent_mount == json::array({{{"name", "orch-agent"}, {"mountPath", kAgentDir}, {"readOnly", true}}}));
  json volume;
  for (const auto& v : spec["volumes"])
    if (v["name"] == "orch-agent") volume = v;
  CHECK(volume == json{{"name", "orch-agent"}, {"emptyDir", {{"sizeLimit", "64Mi"}}}});  // not Memory: not the sandbox's memory
  s.with_agent = false;
  CHECK_FALSE(pod_manifest(s, o)["spec"].contains("initContainers"));
}

TEST_CASE("network policies: deny-all for isolated sandboxes, one per private session network") {
  json deny = deny_all_policy();
  CHECK(deny["spec"]["policyTypes"] == json::array({"Ingress", "Egress"}));
  CHECK_FALSE(deny["spec"].contains("ingress"));
  CHECK_FALSE(deny["spec"].contains("egress"));
  check_golden(deny, "policy_deny_all.json");
  engine::NetworkSpec n{"orch-s-0123456789ab", true, {{sandbox::kLabelKind, "session"}, {sandbox::kLabelId, "s-0123456789ab"}}};
  json session = network_policy(n);
  CHECK(session["metadata"]["name"] == "orch-s-0123456789ab");
  check_golden(session, "policy_session.json");
  n.internal = false;
  CHECK(network_policy(n)["spec"]["policyTypes"] == json::array({"Ingress"}));
}

TEST_CASE("a sandbox with a network: its pod is selected by its own egress policy, made from the same spec") {
  engine::SandboxSpec s = run_spec();
  s.network = "bridge";
  json pod = pod_manifest(s, {});
  check_restricted(pod);
  CHECK(pod["metadata"]["labels"]["orch.net"] == "bridge");
  CHECK(pod["metadata"]["labels"][kLabelEgress] == "orch-r-0123456789ab");
  CHECK_FALSE(pod["spec"].contains("dnsPolicy"));  // the cluster's DNS, which the policy lets it ask
  json p = egress_policy(s);
  CHECK(p["metadata"]["name"] == egress_policy_name("orch-r-0123456789ab"));
  CHECK(p["spec"]["podSelector"]["matchLabels"] == json{{kLabelEgress, "orch-r-0123456789ab"}});
  CHECK(p["spec"]["policyTypes"] == json::array({"Ingress", "Egress"}));
  CHECK_FALSE(p["spec"].contains("ingress"));  // nothing reaches it
  CHECK(p["metadata"]["labels"][sandbox::kLabelKind] == "run");
  json exact = json::parse(p["metadata"]["annotations"][kAnnotationLabels].get<std::string>());
  CHECK(exact[sandbox::kLabelPid] == "builder-7:4242");  // gc tells an orphan by its maker
  const json& rules = p["spec"]["egress"];
  REQUIRE(rules.size() == 2);
  // Everything but these, on every port; the rule names no port, so it is every protocol too.
  std::set<std::string> refused;
  for (const auto& peer : rules[0]["to"]) {
    std::string cidr = peer["ipBlock"]["cidr"];
    CHECK((cidr == "0.0.0.0/0" || cidr == "::/0"));
    for (const auto& e : peer["ipBlock"]["except"]) {
      CHECK((e.get<std::string>().find(':') != std::string::npos) == (cidr == "::/0"));  // within its block's family
      refused.insert(e.get<std::string>());
    }
  }
  CHECK_FALSE(rules[0].contains("ports"));
  for (const char* r : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "0.0.0.0/8",
                        "224.0.0.0/4", "fc00::/7", "fe80::/10", "::1/128", "ff00::/8"})
    CHECK_MESSAGE(refused.count(r) == 1, r << " is not refused");
  // DNS: the cluster's DNS pods on port 53, nothing else (a private resolver is not reachable otherwise).
  CHECK(rules[1]["to"] == json::array({{{"namespaceSelector", {{"matchLabels", {{"kubernetes.io/metadata.name", "kube-system"}}}}},
                                        {"podSelector", {{"matchLabels", {{"k8s-app", "kube-dns"}}}}}}}));
  CHECK(rules[1]["ports"] == json::array({{{"protocol", "UDP"}, {"port", 53}}, {{"protocol", "TCP"}, {"port", 53}}}));
  check_golden(p, "policy_egress.json");
  CHECK(egress_policy_name(std::string(63, 'a')).size() <= 63);  // remove_network takes it as a DNS label
  // lan: the private ranges hold the cluster itself
  s.lan = true;
  CHECK_THROWS_WITH_AS(pod_manifest(s, {}), doctest::Contains("network 'lan'"), Error);
}

TEST_CASE("what a pod cannot be is refused") {
  engine::SandboxSpec s = run_spec();
  s.scratch[1].owner = "0:0";
  CHECK_THROWS_AS(pod_manifest(s, {}), Error);
  s.scratch[1].owner = "sandbox";
  CHECK_THROWS_AS(pod_manifest(s, {}), Error);
  s = run_spec();
  s.host_mounts = {{"/run/orch/x", "/.orch-io", true}};
  CHECK_THROWS_AS(pod_manifest(s, {}), Error);
  s = run_spec();
  s.add_capabilities = {"CHOWN"};
  CHECK_THROWS_AS(pod_manifest(s, {}), Error);
  s = run_spec();
  s.share_pids_with = "abc";
  CHECK_THROWS_AS(pod_manifest(s, {}), Error);
}

TEST_CASE("names, label values and quantities follow Kubernetes' rules") {
  CHECK(dns_label("orch-s-0123456789AB") == "orch-s-0123456789ab");
  CHECK(dns_label(std::string(80, 'a')).size() == 63);
  CHECK(dns_label("-r_x.y-") == "r-x-y");
  CHECK(label_value("host:4242") == "host_4242");
  CHECK(label_value("-x-") == "x");
  CHECK(label_value(std::string(70, 'v')).size() == 63);
  CHECK(valid_label_value(""));
  CHECK_FALSE(valid_label_value("a b"));
  CHECK(valid_label_key("orch.kind"));
  CHECK(valid_label_key("example.com/team"));
  CHECK_FALSE(valid_label_key("Example.com/team"));
  CHECK_FALSE(valid_label_key("/x"));
  CHECK(quantity(64LL << 20) == "64Mi");
  CHECK(quantity(1LL << 30) == "1Gi");
  CHECK(quantity(1536LL << 10) == "1536Ki");
  CHECK(quantity(1000) == "1000");
}
