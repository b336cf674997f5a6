#pragma once
#include <atomic>
#include <memory>
#include <mutex>

#include "core/engine/engine.hpp"
#include "core/kube/client.hpp"
#include "core/kube/pod.hpp"

namespace orch::kube {

// The engine seam's second implementation: a sandbox is a Pod in one namespace, found by its
// labels; a network is a NetworkPolicy over a label; streams go through the API server.
// What cannot be said in Kubernetes terms (host mounts, added capabilities, building images) is
// refused with a clear error; see ARCHITECTURE.md for what differs per backend.
class KubeEngine : public engine::Engine {
 public:
  KubeEngine(Config cfg, PodOptions options) : client_(std::move(cfg)), options_(std::move(options)) {}

  std::string endpoint() const override;
  engine::EngineInfo ping() override;
  engine::EngineInfo info() override;
  engine::Capabilities capabilities() override;

  std::string create(const engine::SandboxSpec& spec) override;
  // The Pod manifest; for a sandbox with a network, a List of its egress policy and the Pod.
  nlohmann::json create_request(const engine::SandboxSpec& spec) const override;
  void start(const std::string& id) override;
  std::unique_ptr<engine::Stream> attach(const std::string& id, bool with_stdin) override;
  std::unique_ptr<engine::ExitWait> wait_exit(const std::string& id) override;
  void kill(const std::string& id) override;
  void remove(const std::string& id) override;
  std::optional<engine::SandboxStatus> inspect(const std::string& id) override;
  std::vector<engine::SandboxInfo> list(const engine::Labels& match) override;
  void set_expiry(const std::string& id, int64_t expires) override;
  bool stopped_by_engine(const std::string& id, int64_t since_unix) override;
  std::unique_ptr<engine::Process> exec(const std::string& id, const engine::ExecSpec& spec) override;
  void guard_network(const std::string& id, const engine::Egress& egress) override;

  std::string create_network(const engine::NetworkSpec& spec) override;
  void remove_network(const std::string& id_or_name) override;
  std::vector<engine::NetworkInfo> list_networks(const engine::Labels& match) override;

  // Records are ConfigMaps in the sandboxes' namespace.
  void create_record(const std::string& name, const engine::Labels& labels) override;
  std::optional<engine::Labels> find_record(const std::string& name) override;
  std::vector<std::pair<std::string, engine::Labels>> list_records(const engine::Labels& match) override;
  void remove_record(const std::string& name) override;

  bool image_exists(const std::string& ref) override;
  void build_image(const engine::ImageBuild& build, const std::function<void(const std::string&)>& on_line) override;

  Client& client() { return client_; }
  // Waits until the pod's container runs (or ended); throws ImageMissing and the like when it cannot start.
  nlohmann::json wait_started(const std::string& id, std::chrono::milliseconds timeout);

 private:
  void ensure_deny_all();
  bool removed_on_exit(const nlohmann::json& pod);

  Client client_;
  PodOptions options_;
  std::once_flag deny_all_once_;
};

// What the sandbox's pod says about its container: state, exit code, OOM.
engine::SandboxStatus status_of(const nlohmann::json& pod);
engine::SandboxInfo info_of(const nlohmann::json& pod);
// A label selector matching every label in `match` (values made label-safe as pods carry them).
std::string selector_for(const engine::Labels& match);

}  // namespace orch::kube
