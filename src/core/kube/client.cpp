#include "core/kube/client.hpp"

#include "core/error.hpp"
#include "core/util/url.hpp"

namespace orch::kube {

Client::Client(Config cfg) : cfg_(std::move(cfg)), addr_(parse_server(cfg_.server)) {
  if (addr_.tls) tls_ = std::make_shared<TlsContext>(cfg_);
}

void throw_for_status(const Response& r, const std::string& what) {
  json status = json::parse(r.body, nullptr, false);
  std::string message = status.is_object() ? status.value("message", "") : "";
  if (message.empty()) message = r.body.substr(0, 200);
  std::string text = what + ": the Kubernetes API answered " + std::to_string(r.status) + (message.empty() ? "" : ": " + message);
  switch (r.status) {
    case 400:
    case 422: throw Error(ErrorKind::BadInput, text);
    case 404: throw Error(ErrorKind::NotFound, text);
    case 409: throw Error(ErrorKind::Conflict, text);
    case 429: throw Error(ErrorKind::Busy, text);
    case 401:
    case 403:
      throw Error(ErrorKind::Unavailable, text + " (orch's credentials lack a permission: see deploy/kubernetes/rbac.yaml)");
    default: throw Error(r.status >= 500 ? ErrorKind::Unavailable : ErrorKind::Infrastructure, text);
  }
}

Headers Client::auth_headers() const {
  Headers h;
  if (!cfg_.token.empty()) h.emplace_back("Authorization", "Bearer " + cfg_.token);
  return h;
}

std::string Client::pods_path() const {
  return "/api/v1/namespaces/" + percent_encode(cfg_.namespace_name) + "/pods";
}

std::string Client::policies_path() const {
  return "/apis/networking.k8s.io/v1/namespaces/" + percent_encode(cfg_.namespace_name) + "/networkpolicies";
}

std::string Client::config_maps_path() const { return "/api/v1/namespaces/" + percent_encode(cfg_.namespace_name) + "/configmaps"; }

std::unique_ptr<Stream> Client::take(Clock::time_point deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      auto s = std::move(idle_.back());
      idle_.pop_back();
      if (s->quiet()) return s;  // an idle connection with bytes to read was closed by the server
    }
  }
  return Stream::connect(addr_, tls_.get(), deadline);
}

void Client::give_back(std::unique_ptr<Stream> s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < 8) idle_.push_back(std::move(s));
}

Response Client::raw(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& content_type, std::chrono::milliseconds timeout) {
  Request req{method, path, body, body.empty() ? "" : content_type, auth_headers()};
  req.headers.emplace_back("Accept", "application/json");
  auto deadline = Clock::now() + timeout;
  // A kept-alive connection the server closed meanwhile fails on first use: try once more on a new one.
  for (int attempt = 0;; ++attempt) {
    auto s = take(deadline);
    Response r;
    try {
      s->write_all(serialize(req, addr_.host_header()), deadline);
      r = read_head(*s, deadline);
    } catch (const Error& e) {
      if (attempt == 0 && e.kind() == ErrorKind::Unavailable) continue;
      throw;
    }
    bool reusable = read_body(*s, r, method, nullptr, deadline) && r.header("Connection") != "close";
    if (reusable) give_back(std::move(s));
    return r;
  }
}

json Client::call(const std::string& method, const std::string& path, const std::string& body,
                  const std::string& content_type, std::chrono::milliseconds timeout) {
  Response r = raw(method, path, body, content_type, timeout);
  if (r.status < 200 || r.status >= 300) throw_for_status(r, method + " " + path.substr(0, path.find('?')));
  if (r.body.empty()) return nullptr;
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) throw Error(ErrorKind::Infrastructure, "the Kubernetes API answered " + path + " with invalid JSON");
  return j;
}

json Client::version() { return call("GET", "/version"); }

json Client::create_pod(const json& pod) { return call("POST", pods_path(), pod.dump()); }

std::optional<json> Client::get_if_there(const std::string& path, const std::string& what) {
  Response r = raw("GET", path);
  if (r.status == 404) return std::nullopt;
  if (r.status != 200) throw_for_status(r, what);
  return json::parse(r.body);
}

std::optional<json> Client::get_pod(const std::string& name) {
  return get_if_there(pods_path() + "/" + percent_encode(name), "get pod " + name);
}

void Client::delete_if_there(const std::string& path, const std::string& what) {
  Response r = raw("DELETE", path);
  if (r.status == 404 || (r.status >= 200 && r.status < 300)) return;
  throw_for_status(r, what);
}

json Client::items_of(const std::string& path, const std::string& label_selector) {
  json list = call("GET", path + "?labelSelector=" + percent_encode(label_selector));
  return list.is_object() && list.contains("items") && list["items"].is_array() ? list["items"] : json::array();
}

json Client::list_pods(const std::string& label_selector) { return items_of(pods_path(), label_selector); }

std::optional<json> Client::delete_pod(const std::string& name, int grace_seconds) {
  json opts = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"gracePeriodSeconds", grace_seconds},
               {"propagationPolicy", "Background"}};
  Response r = raw("DELETE", pods_path() + "/" + percent_encode(name), opts.dump());
  if (r.status == 404) return std::nullopt;
  if (r.status < 200 || r.status >= 300) throw_for_status(r, "delete pod " + name);
  json pod = json::parse(r.body, nullptr, false);
  return pod.is_object() ? pod : json::object();
}

json Client::patch_pod(const std::string& name, const json& merge_patch) {
  return call("PATCH", pods_path() + "/" + percent_encode(name), merge_patch.dump(), "application/merge-patch+json");
}

std::string Client::pod_log(const std::string& name, const std::string& container, size_t limit_bytes) {
  std::string q = "?limitBytes=" + std::to_string(limit_bytes);
  if (!container.empty()) q += "&container=" + percent_encode(container);
  Response r = raw("GET", pods_path() + "/" + percent_encode(name) + "/log" + q);
  if (r.status != 200) throw_for_status(r, "logs of pod " + name);
  return r.body;
}

std::unique_ptr<RemoteStream> Client::upgrade(const std::string& target, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto s = Stream::connect(addr_, tls_.get(), deadline);
  std::string key = websocket_key();
  Request req{"GET", target, "", "", auth_headers()};
  std::string offered;
  for (const auto& p : protocols_) offered += (offered.empty() ? "" : ", ") + p;
  req.headers.insert(req.headers.end(), {{"Connection", "Upgrade"},
                                         {"Upgrade", "websocket"},
                                         {"Sec-WebSocket-Version", "13"},
                                         {"Sec-WebSocket-Key", key},
                                         {"Sec-WebSocket-Protocol", offered}});
  s->write_all(serialize(req, addr_.host_header()), deadline);
  Response head = read_head(*s, deadline);
  std::string what = target.substr(0, target.find('?'));
  if (head.status != 101) {
    read_body(*s, head, "GET", nullptr, deadline, 64 * 1024);
    throw_for_status(head, what);
  }
  if (head.header("Sec-WebSocket-Accept") != websocket_accept(key))
    throw Error(ErrorKind::Infrastructure, what + ": the server's WebSocket handshake does not answer orch's key");
  std::string chosen = head.header("Sec-WebSocket-Protocol");
  bool known = false;
  for (const auto& p : protocols_) known = known || p == chosen;
  if (!known)
    throw Error(ErrorKind::Infrastructure, what + ": the server chose no channel protocol orch speaks ('" + chosen +
                                               "'; orch needs " + offered + ")");
  return std::make_unique<RemoteStream>(std::make_unique<WebSocket>(std::move(s), chosen));
}

std::unique_ptr<RemoteStream> Client::exec(const std::string& pod, const ExecRequest& req) {
  std::string q = "?stdout=true&stderr=true";
  q += req.stdin ? "&stdin=true" : "";
  q += req.tty ? "&tty=true" : "";
  if (!req.container.empty()) q += "&container=" + percent_encode(req.container);
  for (const auto& arg : req.command) q += "&command=" + percent_encode(arg);
  return upgrade(pods_path() + "/" + percent_encode(pod) + "/exec" + q, req.timeout);
}

std::unique_ptr<RemoteStream> Client::attach(const std::string& pod, const std::string& container, bool stdin) {
  std::string q = "?stdout=true&stderr=true";
  q += stdin ? "&stdin=true" : "";
  if (!container.empty()) q += "&container=" + percent_encode(container);
  return upgrade(pods_path() + "/" + percent_encode(pod) + "/attach" + q, std::chrono::seconds(30));
}

json Client::create_network_policy(const json& policy) { return call("POST", policies_path(), policy.dump()); }

std::optional<json> Client::get_network_policy(const std::string& name) {
  return get_if_there(policies_path() + "/" + percent_encode(name), "get network policy " + name);
}

void Client::delete_network_policy(const std::string& name) {
  delete_if_there(policies_path() + "/" + percent_encode(name), "delete network policy " + name);
}

json Client::list_network_policies(const std::string& label_selector) { return items_of(policies_path(), label_selector); }

json Client::create_config_map(const json& config_map) { return call("POST", config_maps_path(), config_map.dump()); }

std::optional<json> Client::get_config_map(const std::string& name) {
  return get_if_there(config_maps_path() + "/" + percent_encode(name), "get config map " + name);
}

void Client::delete_config_map(const std::string& name) {
  delete_if_there(config_maps_path() + "/" + percent_encode(name), "delete config map " + name);
}

json Client::list_config_maps(const std::string& label_selector) { return items_of(config_maps_path(), label_selector); }

}  // namespace orch::kube
