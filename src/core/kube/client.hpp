#pragma once
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/kube/config.hpp"
#include "core/kube/http.hpp"
#include "core/kube/remote.hpp"

namespace orch::kube {

using json = nlohmann::json;

struct ExecRequest {
  std::vector<std::string> command;
  std::string container;  // "" = the pod's only container
  bool stdin = false;
  bool tty = false;
  // How long connecting and the server's answer to the upgrade may take (ExecSpec::engine_timeout).
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
};

// The Kubernetes API calls orch makes, in one namespace. Non-2xx answers become orch::Error
// with the kind the status implies and the server's own message.
class Client {
 public:
  explicit Client(Config cfg);
  static Client from_env() { return Client(load_config()); }

  const Config& config() const { return cfg_; }
  const std::string& namespace_name() const { return cfg_.namespace_name; }
  // The subprotocols offered for exec and attach (tests pin v4 to check the fallback).
  void set_protocols(std::vector<std::string> p) { protocols_ = std::move(p); }

  json version();  // GET /version

  json create_pod(const json& pod);
  std::optional<json> get_pod(const std::string& name);
  json list_pods(const std::string& label_selector);  // the PodList's items
  // Deletes with the grace period given and returns the pod as it was; nullopt when it was already gone.
  std::optional<json> delete_pod(const std::string& name, int grace_seconds = 0);
  json patch_pod(const std::string& name, const json& merge_patch);
  std::string pod_log(const std::string& name, const std::string& container = "", size_t limit_bytes = 1 << 20);

  std::unique_ptr<RemoteStream> exec(const std::string& pod, const ExecRequest& req);
  std::unique_ptr<RemoteStream> attach(const std::string& pod, const std::string& container, bool stdin);

  json create_network_policy(const json& policy);
  std::optional<json> get_network_policy(const std::string& name);
  void delete_network_policy(const std::string& name);
  json list_network_policies(const std::string& label_selector);

  json create_config_map(const json& config_map);
  std::optional<json> get_config_map(const std::string& name);
  void delete_config_map(const std::string& name);  // gone is not an error
  json list_config_maps(const std::string& label_selector);

  // One request; the body is parsed as JSON (empty: null). Throws on non-2xx.
  json call(const std::string& method, const std::string& path, const std::string& body = "",
            const std::string& content_type = "application/json",
            std::chrono::milliseconds timeout = std::chrono::seconds(60));
  Response raw(const std::string& method, const std::string& path, const std::string& body = "",
               const std::string& content_type = "application/json",
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  std::string pods_path() const;
  std::string policies_path() const;
  std::string config_maps_path() const;
  void delete_if_there(const std::string& path, const std::string& what);  // 404 is not an error
  json items_of(const std::string& path, const std::string& label_selector);
  std::optional<json> get_if_there(const std::string& path, const std::string& what);  // nullopt on 404
  std::unique_ptr<Stream> take(Clock::time_point deadline);
  void give_back(std::unique_ptr<Stream> s);
  Headers auth_headers() const;
  std::unique_ptr<RemoteStream> upgrade(const std::string& target, std::chrono::milliseconds timeout);

  Config cfg_;
  ServerAddress addr_;
  std::shared_ptr<TlsContext> tls_;
  std::vector<std::string> protocols_{kProtocolV5, kProtocolV4};
  std::mutex mu_;
  std::vector<std::unique_ptr<Stream>> idle_;
};

// Turns a non-2xx answer into orch::Error: 404 NotFound, 409 Conflict, 422/400 BadInput,
// 429 Busy, 401/403 and 5xx Unavailable; the message is the Status's own.
[[noreturn]] void throw_for_status(const Response& r, const std::string& what);

}  // namespace orch::kube
