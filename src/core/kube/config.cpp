#include "core/kube/config.hpp"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/error.hpp"
#include "core/kube/yaml.hpp"
#include "core/util/base64.hpp"

namespace orch::kube {

using nlohmann::json;

namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string must_read(const std::string& path, const std::string& what) {
  auto text = read_file(path);
  if (!text) throw Error(ErrorKind::BadInput, "cannot read " + what + " " + path);
  return *text;
}

// Finds the entry named `name` in a kubeconfig list (clusters, contexts, users) and returns its body.
json named(const json& cfg, const char* list, const char* field, const std::string& name, const std::string& source) {
  if (cfg.contains(list) && cfg[list].is_array())
    for (const auto& e : cfg[list])
      if (e.is_object() && e.value("name", "") == name && e.contains(field) && e[field].is_object()) return e[field];
  throw Error(ErrorKind::BadInput, source + ": no " + std::string(field) + " named '" + name + "' in " + list);
}

bool truthy(const json& o, const char* key) {
  if (!o.contains(key)) return false;
  const json& v = o[key];
  return v.is_boolean() ? v.get<bool>() : (v.is_string() && v.get<std::string>() == "true");
}

// Inline `<key>-data` (base64) wins over the `<key>` file reference, as in kubectl.
std::string pem_field(const json& o, const std::string& key, const std::string& dir, const std::string& source) {
  std::string data = o.value(key + "-data", "");
  if (!data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) throw Error(ErrorKind::BadInput, source + ": " + key + "-data is not base64");
    return *decoded;
  }
  std::string path = o.value(key, "");
  if (path.empty()) return "";
  if (path[0] != '/' && !dir.empty()) path = dir + "/" + path;
  return must_read(path, key);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Config config_from_kubeconfig(const std::string& text, const std::string& source, const std::string& dir,
                              const std::string& context) {
  json cfg;
  try {
    cfg = parse_yaml(text);
  } catch (const Error& e) {
    throw Error(ErrorKind::BadInput, source + ": " + e.what());
  }
  if (!cfg.is_object()) throw Error(ErrorKind::BadInput, source + ": not a kubeconfig (no mapping at the top)");
  std::string ctx_name = context.empty() ? cfg.value("current-context", "") : context;
  if (ctx_name.empty())
    throw Error(ErrorKind::BadInput, source + ": no current-context (set one with kubectl config use-context, or ORCH_K8S_CONTEXT)");
  json ctx = named(cfg, "contexts", "context", ctx_name, source);
  json cluster = named(cfg, "clusters", "cluster", ctx.value("cluster", ""), source);
  json user = ctx.value("user", "").empty() ? json::object() : named(cfg, "users", "user", ctx.value("user", ""), source);

  Config c;
  c.source = source + ", context " + ctx_name;
  c.server = cluster.value("server", "");
  if (c.server.empty()) throw Error(ErrorKind::BadInput, c.source + ": the cluster has no server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  c.insecure = truthy(cluster, "insecure-skip-tls-verify");
  c.ca_pem = pem_field(cluster, "certificate-authority", dir, c.source);
  if (user.contains("exec") || user.contains("auth-provider"))
    throw Error(ErrorKind::BadInput, c.source + ": credential plugins (exec, auth-provider) are not supported; "
                                                "give the user a token or a client certificate");
  c.client_cert_pem = pem_field(user, "client-certificate", dir, c.source);
  c.client_key_pem = pem_field(user, "client-key", dir, c.source);
  if (c.client_cert_pem.empty() != c.client_key_pem.empty())
    throw Error(ErrorKind::BadInput, c.source + ": a client certificate needs its key, and a key its certificate");
  c.token = user.value("token", "");
  if (c.token.empty() && !user.value("tokenFile", "").empty()) {
    std::string path = user.value("tokenFile", "");
    c.token = trim(must_read(path[0] == '/' || dir.empty() ? path : dir + "/" + path, "tokenFile"));
  }
  std::string ns = ctx.value("namespace", "");
  if (!ns.empty()) c.namespace_name = ns;
  return c;
}

Config in_cluster_config(const std::string& account_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port)
    throw Error(ErrorKind::Unavailable, "not inside a cluster (KUBERNETES_SERVICE_HOST/PORT are not set)");
  Config c;
  std::string h = host;
  c.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  c.token = trim(must_read(account_dir + "/token", "service-account token"));
  c.ca_pem = must_read(account_dir + "/ca.crt", "service-account CA");
  if (auto ns = read_file(account_dir + "/namespace"); ns && !trim(*ns).empty()) c.namespace_name = trim(*ns);
  c.source = "in-cluster service account";
  return c;
}

Config load_config() {
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  std::string path = env("ORCH_KUBECONFIG");
  if (path.empty()) path = env("KUBECONFIG").substr(0, env("KUBECONFIG").find(':'));
  if (path.empty() && !env("HOME").empty() && read_file(env("HOME") + "/.kube/config")) path = env("HOME") + "/.kube/config";
  Config c;
  if (!path.empty()) {
    std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
    c = config_from_kubeconfig(must_read(path, "kubeconfig"), "kubeconfig " + path, dir, env("ORCH_K8S_CONTEXT"));
  } else if (!env("KUBERNETES_SERVICE_HOST").empty()) {
    c = in_cluster_config();
  } else {
    throw Error(ErrorKind::Unavailable,
                "no Kubernetes configuration: set ORCH_KUBECONFIG or KUBECONFIG to a kubeconfig file "
                "(kubectl config view --raw --flatten > FILE), or run orch inside the cluster");
  }
  if (!env("ORCH_K8S_NAMESPACE").empty()) c.namespace_name = env("ORCH_K8S_NAMESPACE");
  return c;
}

}  // namespace orch::kube
