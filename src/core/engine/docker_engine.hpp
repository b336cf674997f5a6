#pragma once
#include <memory>

#include <nlohmann/json.hpp>

#include "core/docker/client.hpp"
#include "core/engine/docker_changes.hpp"
#include "core/engine/engine.hpp"

namespace orch::engine {

// The Engine over the Docker Engine API (docker::Client): a sandbox is a container, a network a
// bridge network, the expiry a "-x<unix seconds>" suffix of the container name.
class DockerEngine : public Engine {
 public:
  explicit DockerEngine(std::shared_ptr<docker::Transport> transport) : client_(std::move(transport)) {}
  static std::unique_ptr<DockerEngine> from_env();

  std::string endpoint() const override;
  EngineInfo ping() override;
  EngineInfo info() override;
  Capabilities capabilities() override;

  std::string create(const SandboxSpec& spec) override;
  nlohmann::json create_request(const SandboxSpec& spec) const override;
  void start(const std::string& id) override;
  std::unique_ptr<Stream> attach(const std::string& id, bool with_stdin) override;
  std::unique_ptr<ExitWait> wait_exit(const std::string& id) override;
  void kill(const std::string& id) override;
  void remove(const std::string& id) override;
  std::optional<SandboxStatus> inspect(const std::string& id) override;
  std::vector<SandboxInfo> list(const Labels& match) override;
  void set_expiry(const std::string& id, int64_t expires) override;
  bool stopped_by_engine(const std::string& id, int64_t since_unix) override;
  bool oom_reported(const std::string& id, int64_t since_unix) override;

  std::unique_ptr<Process> exec(const std::string& id, const ExecSpec& spec) override;

  std::string create_network(const NetworkSpec& spec) override;
  void remove_network(const std::string& id_or_name) override;
  std::vector<NetworkInfo> list_networks(const Labels& match) override;

  void guard_network(const std::string& id, const Egress& egress) override;
  void prepare(const std::function<void(const std::string&)>& on_line) override;
  void create_record(const std::string& name, const Labels& labels) override;
  std::optional<Labels> find_record(const std::string& name) override;
  std::vector<std::pair<std::string, Labels>> list_records(const Labels& match) override;
  void remove_record(const std::string& name) override;
  void follow_changes() override;

  bool image_exists(const std::string& ref) override;
  void build_image(const ImageBuild& build, const std::function<void(const std::string&)>& on_line) override;
  ResourceUse usage(const std::string& id) override;
  std::optional<ImageInfo> image(const std::string& ref) override;
  std::vector<ImageInfo> images(const Labels& match) override;
  bool remove_image(const std::string& ref) override;

  docker::Client& client() { return client_; }

 private:
  std::vector<SandboxInfo> list_now(const Labels& match);
  bool keep_listings() const { return changes_ && changes_->live(); }
  void changed(const EngineChange& c);
  void changed_sandbox(const std::string& id_or_name);

  docker::Client client_;
  ListingMemo<SandboxInfo> sandboxes_;
  ListingMemo<std::pair<std::string, Labels>> records_;
  bool podman_ = false;                  // its events may not carry labels: any change drops every listing
  std::unique_ptr<ChangeFeed> changes_;  // set once by follow_changes(), before other threads list
};

// The numbers of one GET /containers/{id}/stats answer (cgroup v1 and v2).
ResourceUse usage_from_docker_stats(const nlohmann::json& stats);

// The body of POST /containers/create for a spec; what differs between Docker and Podman (the
// seccomp profile as a file, tmpfs options, nproc) is chosen here for `engine`.
nlohmann::json docker_create_body(const SandboxSpec& spec, docker::Flavor engine);
// The container name for a spec: its name, with "-x<expires>" when it has an expiry.
std::string docker_container_name(const SandboxSpec& spec);
// The expiry a container name carries ("...-x<unix seconds>"), if any.
std::optional<int64_t> expiry_in_name(const std::string& name);

}  // namespace orch::engine
