#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/session/backend.hpp"
#include "core/session/record.hpp"
#include "core/session/result.hpp"
#include "core/templates/template.hpp"

namespace orch::session {

// Owner (backend.hpp): whose sessions a call may touch: nullopt = any (the local CLI); a value =
// that tenant's only. Another tenant's session answers NotFound, exactly like a missing one.

struct CreateOptions {
  std::string template_name = "python";
  std::string owner = "local";
  std::string name;  // optional human name, unique among live sessions
  int64_t ttl_s = 1800;
  std::optional<int64_t> memory_bytes;
  std::optional<double> cpus;
  std::string network = "none";  // none | bridge | private (own internal network, needed for services)
  std::map<std::string, std::string> labels;  // keys must not start with "orch."
};

struct ExecRequest {
  std::string code;
  std::string language;             // "" = the template's default language
  std::optional<double> timeout_s;  // default: the template's timeout
  size_t output_cap = size_t{1} << 20;  // bytes kept per stream
};

struct FileEntry {
  std::string path;  // relative to /workspace
  std::string type;  // file | dir | symlink | other
  int64_t size = 0;
  double mtime = 0;
};

struct ServiceOptions {
  std::string image;
  std::string name;  // host name on the session network; default from the image
  int port = 0;      // 0 = no readiness probe beyond "running"
  std::string health_path;  // with port: HTTP GET must answer 2xx/3xx; without: a TCP connect suffices
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  int64_t memory_bytes = 512LL << 20;
  double startup_timeout_s = 60;
};

struct GcResult {
  std::vector<std::string> sessions;  // ids removed
  std::vector<std::string> services;  // container names removed
  std::vector<std::string> networks;  // network names removed
};

struct ManagerOptions {
  // Keep one attached relay per session and kernel between calls (the server): a round trip then
  // costs no docker exec. The CLI leaves it off: each call opens and closes its own relay.
  bool keep_relays = false;
};

// Sessions: long-lived sandboxes with a TTL, stateful kernels, files and services. The engine is the
// only store: every method reads the sandboxes' labels and expiries, so several orch processes
// share the same sessions. Thread-safe; calls on one session's kernel run one at a time.
class Manager : public Backend {
 public:
  Manager(engine::Engine& engine, const templates::Store& store, ManagerOptions opts = {});
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  Record create(const CreateOptions& o) override;
  // What create() would ask the engine for (the Docker create body or the Pod), creating nothing.
  nlohmann::json create_request(const CreateOptions& o) const;
  std::vector<Record> list(const Owner& owner = std::nullopt) override;
  Record get(const std::string& id_or_name, const Owner& owner = std::nullopt) override;
  void remove(const std::string& id_or_name, const Owner& owner = std::nullopt) override;
  // Sets the expiry to now + ttl_s (it may also shorten it).
  Record extend(const std::string& id_or_name, int64_t ttl_s, const Owner& owner = std::nullopt) override;

  ExecResult exec(const std::string& id_or_name, const ExecRequest& req, ExecObserver& obs,
                  const Owner& owner = std::nullopt) override;

  void upload(const std::string& id_or_name, const std::string& path, const std::string& data,
              const Owner& owner = std::nullopt, bool executable = false) override;
  std::string download(const std::string& id_or_name, const std::string& path, size_t cap,
                       const Owner& owner = std::nullopt) override;
  std::vector<FileEntry> files(const std::string& id_or_name, const std::string& dir, bool recursive,
                               const Owner& owner = std::nullopt) override;

  ServiceInfo add_service(const std::string& id_or_name, const ServiceOptions& o, const Owner& owner = std::nullopt) override;

  // Removes expired or stopped sessions with their services and networks, services whose session
  // is gone, and session networks nothing uses.
  GcResult gc() override;

 private:
  engine::SandboxSpec session_spec(const CreateOptions& o, const std::string& id, int64_t expires, size_t kernels_size) const;
  struct Relay;
  struct Target {
    std::string id, container_id, template_name, owner;
  };
  Target resolve(const std::string& id_or_name, const Owner& owner);
  std::shared_ptr<Relay> relay_for(const Target& t, const std::string& kernel);
  void start_kernel(const Target& t, const templates::Template& tmpl);
  void drop_relays(const std::string& id);
  void remove_record(const Record& r);
  const templates::Template& template_of(const std::string& name) const;
  std::vector<ServiceInfo> list_services(const std::string& session_id);

  engine::Engine& engine_;
  const templates::Store& store_;
  ManagerOptions opts_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Relay>> relays_;  // "id/kernel"
  std::map<std::string, Target> known_;                    // id -> target, while a relay lives
};

nlohmann::json to_json(const FileEntry& e);
nlohmann::json to_json(const GcResult& g);

}  // namespace orch::session
