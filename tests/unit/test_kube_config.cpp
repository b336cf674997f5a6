#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "core/error.hpp"
#include "core/kube/config.hpp"
#include "core/util/base64.hpp"
#include "fake_daemon.hpp"
#include "helpers.hpp"

using namespace orch;
using namespace orch::kube;

namespace {

std::string kubeconfig(const std::string& user, const std::string& cluster_extra = "") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: dev\nclusters:\n- name: c1\n  cluster:\n    server: https://10.0.0.1:6443/\n" +
         cluster_extra + "contexts:\n- name: dev\n  context:\n    cluster: c1\n    user: u1\n    namespace: sbx\n- name: other\n  context:\n    cluster: c1\n    user: u1\nusers:\n- name: u1\n  user:\n" + user;
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("kubeconfig: current context, inline certificates and key, namespace") {
  std::string user = "    client-certificate-data: " + base64_encode("CERT") + "\n    client-key-data: " + base64_encode("KEY") + "\n";
  Config c = config_from_kubeconfig(kubeconfig(user, "    certificate-authority-data: " + base64_encode("CA") + "\n"), "test");
  CHECK(c.server == "https://10.0.0.1:6443");
  CHECK(c.ca_pem == "CA");
  CHECK(c.client_cert_pem == "CERT");
  CHECK(c.client_key_pem == "KEY");
  CHECK(c.token.empty());
  CHECK_FALSE(c.insecure);
  CHECK(c.namespace_name == "sbx");
  CHECK(c.source == "test, context dev");
}

TEST_CASE("kubeconfig: token, insecure-skip-tls-verify, a named context without namespace") {
  Config c = config_from_kubeconfig(kubeconfig("    token: t0k3n\n", "    insecure-skip-tls-verify: true\n"), "test", "", "other");
  CHECK(c.token == "t0k3n");
  CHECK(c.insecure);
  CHECK(c.namespace_name == "default");
}

TEST_CASE("kubeconfig: file references are read relative to the kubeconfig's folder") {
  orch::testing::TempDir dir;
  write(dir.path() + "/ca.pem", "CAFILE");
  write(dir.path() + "/token", "filetoken\n");
  Config c = config_from_kubeconfig(kubeconfig("    tokenFile: token\n", "    certificate-authority: ca.pem\n"), "test", dir.path());
  CHECK(c.ca_pem == "CAFILE");
  CHECK(c.token == "filetoken");
}

TEST_CASE("kubeconfig: what cannot work is refused with a reason") {
  CHECK(orch::testing::error_kind_of([] { config_from_kubeconfig(kubeconfig("    exec:\n      command: aws\n"), "t"); }) ==
        ErrorKind::BadInput);
  CHECK(orch::testing::error_kind_of(
            [] { config_from_kubeconfig(kubeconfig("    client-key-data: " + base64_encode("K") + "\n"), "t"); }) == ErrorKind::BadInput);
  CHECK(orch::testing::error_kind_of([] { config_from_kubeconfig(kubeconfig("    token: x\n"), "t", "", "missing"); }) ==
        ErrorKind::BadInput);
  CHECK(orch::testing::error_kind_of([] { config_from_kubeconfig("kind: Config\n", "t"); }) == ErrorKind::BadInput);
  CHECK(orch::testing::error_kind_of([] {
          config_from_kubeconfig(kubeconfig("    token: x\n", "    certificate-authority: /nonexistent/ca\n"), "t");
        }) == ErrorKind::BadInput);
  try {
    config_from_kubeconfig(kubeconfig("    auth-provider:\n      name: gcp\n"), "kubeconfig /k");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("credential plugins") != std::string::npos);
  }
}

TEST_CASE("in-cluster configuration from the service account's files") {
  orch::testing::TempDir dir;
  write(dir.path() + "/token", "sa-token\n");
  write(dir.path() + "/ca.crt", "SACA");
  write(dir.path() + "/namespace", "orch\n");
  ::setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  Config c = in_cluster_config(dir.path());
  CHECK(c.server == "https://[fd00::1]:443");
  CHECK(c.token == "sa-token");
  CHECK(c.ca_pem == "SACA");
  CHECK(c.namespace_name == "orch");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  CHECK(orch::testing::error_kind_of([&] { in_cluster_config(dir.path()); }) == ErrorKind::Unavailable);
  ::unsetenv("KUBERNETES_SERVICE_PORT");
}

TEST_CASE("load_config: ORCH_KUBECONFIG, ORCH_K8S_CONTEXT and ORCH_K8S_NAMESPACE") {
  orch::testing::TempDir dir;
  write(dir.path() + "/config", kubeconfig("    token: x\n"));
  ::setenv("ORCH_KUBECONFIG", (dir.path() + "/config").c_str(), 1);
  ::setenv("ORCH_K8S_CONTEXT", "other", 1);
  ::setenv("ORCH_K8S_NAMESPACE", "mine", 1);
  Config c = load_config();
  CHECK(c.source == "kubeconfig " + dir.path() + "/config, context other");
  CHECK(c.namespace_name == "mine");
  ::unsetenv("ORCH_KUBECONFIG");
  ::unsetenv("ORCH_K8S_CONTEXT");
  ::unsetenv("ORCH_K8S_NAMESPACE");
}
