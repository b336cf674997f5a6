#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/docker/client.hpp"

namespace orch::sandbox {

// Labels on everything orch creates, so `orch gc` and a restarted server find what escaped.
inline constexpr const char* kLabelManaged = "orch.managed";
inline constexpr const char* kLabelKind = "orch.kind";  // run | session | pool | service
inline constexpr const char* kLabelId = "orch.id";
inline constexpr const char* kLabelTemplate = "orch.template";
inline constexpr const char* kLabelCreated = "orch.created";
inline constexpr const char* kLabelExpires = "orch.expires";
inline constexpr const char* kLabelOwner = "orch.owner";  // tenant
inline constexpr const char* kLabelPid = "orch.pid";      // host:pid of the orch process that made it

// Everything that decides how a sandbox container is made. The hardening is not optional:
// create_body() always applies it.
struct Spec {
  std::string image;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // K=V
  std::string user = "1000:1000";
  std::string workspace_owner;  // uid:gid owning the /workspace tmpfs; "" = the same as user
  int64_t memory_bytes = 256LL << 20;
  double cpus = 1.0;
  int64_t pids = 128;
  std::string network = "none";  // none | bridge | a network orch made
  std::string runtime;
  std::string tmp_size = "64m";
  std::string workspace_size = "64m";
  std::map<std::string, std::string> labels;
  bool open_stdin = false;
  std::string io_dir;  // host directory mounted read-only at DirectOutput::kMountPoint (a warm runner's sockets)
};

nlohmann::json create_body(const Spec& spec);

// Sessions carry their live expiry in the container name ("...-x<unix seconds>") because labels
// cannot change when a session is extended. The expiry of one entry of GET /containers/json:
// the name's, else the orch.expires label's, else nullopt.
std::optional<int64_t> expiry_in_name(const std::string& name);
std::optional<int64_t> expiry_of(const nlohmann::json& listed_container);
std::map<std::string, std::string> base_labels(const std::string& kind, const std::string& id, const std::string& tmpl);

// Removes its container when it goes out of scope, whatever happened. When the engine cannot be
// reached then (it is restarting), the id waits for retry_pending_removals.
class ContainerGuard {
 public:
  ContainerGuard(docker::Client& client, std::string id) : client_(client), id_(std::move(id)) {}
  ~ContainerGuard();
  ContainerGuard(const ContainerGuard&) = delete;
  ContainerGuard& operator=(const ContainerGuard&) = delete;
  void release() { id_.clear(); }

 private:
  docker::Client& client_;
  std::string id_;
};

// Removes what guards of this process could not (a long-lived server cleans up once the engine is back).
void retry_pending_removals(docker::Client& client);

}  // namespace orch::sandbox
