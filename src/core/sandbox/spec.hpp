#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/templates/template.hpp"

namespace orch::sandbox {

// Labels on everything orch creates, so `orch gc` and a restarted server find what escaped.
inline constexpr const char* kLabelManaged = "orch.managed";
inline constexpr const char* kLabelKind = "orch.kind";  // run | session | pool | service
inline constexpr const char* kLabelId = "orch.id";
inline constexpr const char* kLabelTemplate = "orch.template";
inline constexpr const char* kLabelCreated = "orch.created";
inline constexpr const char* kLabelExpires = "orch.expires";
inline constexpr const char* kLabelOwner = "orch.owner";  // tenant
inline constexpr const char* kLabelPid = "orch.pid";      // place:pid of the orch process that made it

// What a run, a pooled sandbox or a session asks beyond its template. Unset limits take the template's.
struct SandboxRequest {
  std::string kind;  // run | pool | session: the orch.kind label
  std::string id;    // r-..., p-..., s-...: the orch.id label and the sandbox's name
  std::optional<int64_t> memory_bytes;
  std::optional<double> cpus;
  std::optional<int64_t> pids;
  std::optional<std::string> network;
  std::optional<std::string> runtime;
  std::optional<std::string> workspace_size;
  std::vector<std::string> env;  // the caller's K=V, after the template's
  std::map<std::string, std::string> labels;
};

// The one place a template and a request become a sandbox: image, user, limits (validated),
// hardening, scratch space (/tmp and /workspace), labels and environment.
engine::SandboxSpec sandbox_spec(const templates::Template& t, const SandboxRequest& r);
// Whether two specs ask for the same limits, network and runtime (a pooled sandbox fits a run).
bool same_limits(const engine::SandboxSpec& a, const engine::SandboxSpec& b);

// The live expiry of a listed sandbox: what the engine keeps (extend moves it), else the orch.expires label.
std::optional<int64_t> expiry_of(const engine::SandboxInfo& s);
std::map<std::string, std::string> base_labels(const std::string& kind, const std::string& id, const std::string& tmpl);
// Where this process's pid means something: the host name, and the pid namespace when it is not
// the host's (an orch in a container on the host's network has the host's name but its own pids).
std::string process_place();

// Removes its sandbox when it goes out of scope, whatever happened. When the engine cannot be
// reached then (it is restarting), the id waits for retry_pending_removals.
class ContainerGuard {
 public:
  ContainerGuard(engine::Engine& engine, std::string id) : engine_(engine), id_(std::move(id)) {}
  ~ContainerGuard();
  ContainerGuard(const ContainerGuard&) = delete;
  ContainerGuard& operator=(const ContainerGuard&) = delete;
  void release() { id_.clear(); }

 private:
  engine::Engine& engine_;
  std::string id_;
};

// Removes what guards of this process could not (a long-lived server cleans up once the engine is back).
void retry_pending_removals(engine::Engine& engine);

}  // namespace orch::sandbox
