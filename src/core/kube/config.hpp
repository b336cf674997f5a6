#pragma once
#include <string>

namespace orch::kube {

// Where the API server is and how to prove who we are to it.
struct Config {
  std::string server;  // https://host:port (http:// for a local test double)
  std::string ca_pem;  // trusted CAs; empty: the system's trust store
  bool insecure = false;  // insecure-skip-tls-verify: no certificate check at all
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;  // bearer token
  std::string namespace_name = "default";
  std::string source;  // where this came from, for messages ("kubeconfig ~/.kube/config, context kind")
};

// A kubeconfig as `kubectl config view --raw --flatten` writes it (YAML or JSON): the current
// context (or `context` when given), its cluster's server and CA, its user's client certificate,
// key or token. File references (certificate-authority, client-certificate, client-key, tokenFile)
// are read relative to `dir`. Exec and auth-provider plugins are refused with a clear error.
Config config_from_kubeconfig(const std::string& text, const std::string& source, const std::string& dir = "",
                              const std::string& context = "");

// Inside a pod: KUBERNETES_SERVICE_HOST/PORT and the service account's token, CA and namespace
// files under `account_dir`.
Config in_cluster_config(const std::string& account_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// The configuration orch uses: ORCH_KUBECONFIG, else KUBECONFIG (its first file), else
// ~/.kube/config, else in-cluster; ORCH_K8S_CONTEXT picks a context and ORCH_K8S_NAMESPACE
// overrides the namespace. Throws orch::Error(Unavailable) saying what to set when none is found.
Config load_config();

}  // namespace orch::kube
