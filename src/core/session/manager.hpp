#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/session/agent_link.hpp"
#include "core/session/backend.hpp"
#include "core/session/container_exec.hpp"
#include "core/session/record.hpp"
#include "core/session/result.hpp"
#include "core/templates/template.hpp"

namespace orch::session {

// Owner (backend.hpp): whose sessions a call may touch: nullopt = any (the local CLI); a value =
// that tenant's only. Another tenant's session answers NotFound, exactly like a missing one.

// Which sessions a pool keeps: a template with a home.
struct PoolKey {
  std::string template_name;
  std::string home = "/workspace";
  bool operator<(const PoolKey& o) const { return std::tie(template_name, home) < std::tie(o.template_name, o.home); }
};
class SessionPool;

struct CreateOptions {
  std::string template_name = "python";
  std::string owner = "local";
  std::string name;  // optional human name, unique among live sessions
  int64_t ttl_s = 1800;
  std::optional<int64_t> memory_bytes;
  std::optional<double> cpus;
  std::string network = "none";  // none | bridge | private (own internal network, needed for services)
  std::map<std::string, std::string> labels;  // keys must not start with "orch."
  std::string home = "/workspace";            // the user's home and the kernels' directory; another path gets a tmpfs of its own
  std::map<std::string, std::string> env;     // for every process and kernel of the session
  std::map<std::string, std::string> attributes;  // kept with the session for the layer that made it (never listed)
  bool start_agent = false;                       // start the process/file agent now, not on first use
  std::vector<std::string> with;                  // packages added to the template (apt:jq, npm:left-pad): an image built once and reused
};

struct ExecRequest {
  std::string code;
  std::string language;             // "" = the template's default language
  std::optional<double> timeout_s;  // default: the template's timeout
  size_t output_cap = size_t{1} << 20;  // bytes kept per stream
  bool stream_all = false;              // the observer gets every byte, past output_cap too (a caller that streams and keeps none)
  std::string context;                  // a code context's id (create_context); "" = the language's default kernel
  std::map<std::string, std::string> env;  // set for this execution only (python and node kernels)
  // At the deadline (or when the caller leaves), interrupt the code and keep the kernel's state when
  // it stops within a few seconds, instead of restarting the kernel.
  bool interrupt = false;
};

// A code context: one more kernel of a language in a session, with its own state and directory.
struct CodeContext {
  std::string id, language, cwd;
};

// A file or directory inside a session's sandbox, anywhere its user can see.
struct PathInfo {
  std::string name, path;
  std::string type;  // file | dir | symlink | other
  int64_t size = 0;
  unsigned mode = 0;  // st_mode
  std::string owner, group;
  int64_t mtime_ns = 0;
  std::optional<std::string> target;  // a link's target
};

// Reads a sandbox file piece by piece (bounded memory); closes it when destroyed.
class FileReader {
 public:
  FileReader(std::shared_ptr<AgentLink> agent, int fh, int64_t size) : agent_(std::move(agent)), fh_(fh), size_(size) {}
  ~FileReader();
  int64_t size() const { return size_; }  // when opened
  bool next(std::string& chunk);          // false at the end

 private:
  std::shared_ptr<AgentLink> agent_;
  int fh_;
  int64_t size_;
  bool eof_ = false;
};
// BadInput when a request can run nowhere: a NUL byte in the code, over 8 MiB of it, or a timeout
// or output limit out of bounds.
void check_exec(const ExecRequest& req);

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
  double cpus = 1.0;
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
  // File transfers give up after this long without moving a byte (a helper the session's code
  // stopped), or when `cancelled` says so (a server's drain).
  std::chrono::milliseconds transfer_stall = std::chrono::seconds(30);
  std::function<bool()> cancelled;
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
  // Stopping keeps a service (exited) until it is removed or its session ends.
  void stop_service(const std::string& id_or_name, const std::string& name, const Owner& owner = std::nullopt);
  void remove_service(const std::string& id_or_name, const std::string& name, const Owner& owner = std::nullopt) override;
  std::vector<sandbox::Usage> stats(const std::string& id_or_name, const Owner& owner = std::nullopt) override;

  // Processes through the session's agent (processes.cpp). `user`: "" or the template's user, or
  // "root" (the caller decides whether to allow it).
  std::shared_ptr<ProcessStream> start_process(const std::string& id, const ProcessSpec& spec, const Owner& owner = std::nullopt);
  std::shared_ptr<ProcessStream> attach_process(const std::string& id, int pid, const Owner& owner = std::nullopt);
  std::vector<ProcessInfo> list_processes(const std::string& id, const Owner& owner = std::nullopt);
  void signal_process(const std::string& id, int pid, int signal, const Owner& owner = std::nullopt);
  void send_stdin(const std::string& id, int pid, const std::string& data, const Owner& owner = std::nullopt);
  void close_stdin(const std::string& id, int pid, const Owner& owner = std::nullopt);

  // Files anywhere in the sandbox, as `user` (sandbox_files.cpp). Relative paths start at the home.
  PathInfo stat_path(const std::string& id, const std::string& path, const std::string& user, const Owner& owner = std::nullopt);
  std::vector<PathInfo> list_path(const std::string& id, const std::string& path, int depth, const std::string& user,
                                  const Owner& owner = std::nullopt);
  PathInfo make_dir(const std::string& id, const std::string& path, const std::string& user, const Owner& owner = std::nullopt);
  PathInfo move_path(const std::string& id, const std::string& from, const std::string& to, const std::string& user,
                     const Owner& owner = std::nullopt);
  void remove_path(const std::string& id, const std::string& path, const std::string& user, const Owner& owner = std::nullopt);
  std::unique_ptr<FileReader> read_file(const std::string& id, const std::string& path, const std::string& user,
                                        const Owner& owner = std::nullopt);
  // Writes `data` to `path` (parents made), replacing it whole only once every byte is written.
  PathInfo write_file(const std::string& id, const std::string& path, std::string_view data, const std::string& user,
                      const Owner& owner = std::nullopt);
  // The absolute path `path` names for this session (relative ones start at the home).
  std::string absolute_path(const std::string& id, const std::string& path, const Owner& owner = std::nullopt);

  // Code contexts (contexts.cpp): more kernels per session, each with its own state.
  CodeContext create_context(const std::string& id, const std::string& language, const std::string& cwd, const Owner& owner = std::nullopt);
  std::vector<CodeContext> list_contexts(const std::string& id, const Owner& owner = std::nullopt);
  void restart_context(const std::string& id, const std::string& context, const Owner& owner = std::nullopt);
  void remove_context(const std::string& id, const std::string& context, const Owner& owner = std::nullopt);

  // Removes expired or stopped sessions with their services and networks, services whose session
  // is gone, and session networks nothing uses.
  GcResult gc() override;

  // Keeps sessions started ahead of time (pool.cpp): a create that fits one (same template and
  // home, no name, default limits, no network) takes it in a few engine calls.
  void start_pool(const std::map<PoolKey, int>& targets);
  nlohmann::json pool_state() const;
  void stop_pool();

 private:
  // `with_packages`: the template with the session's packages added; nullptr = o.template_name's.
  engine::SandboxSpec session_spec(const CreateOptions& o, const std::string& id, int64_t expires, size_t kernels_size, bool pooled = false,
                                   const templates::Template* with_packages = nullptr) const;
  bool agent_in_tar() const;
  struct Relay;
  struct AgentSlot;
  struct Launched {
    Record record;
    std::unique_ptr<engine::Stream> supervisor;  // a pooled session's, stdin still open
  };
  Launched launch(const CreateOptions& o, const templates::Template& tmpl, bool pooled);
  std::optional<Record> claim_pooled(const CreateOptions& o);
  void apply_claim(Record& r, const engine::Labels& claim, bool moved) const;
  std::optional<Record> session_of(const engine::SandboxInfo& c, const std::map<std::string, engine::Labels>& claims) const;
  std::map<std::string, engine::Labels> claims();
  friend class SessionPool;
  struct Target {
    std::string id, container_id, template_name, owner, home, agent_path;
    std::vector<std::string> env;  // K=V of the session's own environment
  };
  Target resolve(const std::string& id_or_name, const Owner& owner);
  static Target target_of(const Record& r);
  Patience transfer_patience() const;
  std::shared_ptr<Relay> relay_for(const Target& t, const std::string& instance);
  void start_kernel(const Target& t, const templates::Template& tmpl);
  void drop_relays(const std::string& id);
  std::shared_ptr<AgentLink> agent_for(const Target& t, const std::string& user);
  std::string uid_for(const Target& t, const std::string& user) const;
  void kill_kernel(const Target& t, const std::string& instance, const std::string& user);
  void run_helper(const Target& t, const std::vector<std::string>& argv, const std::string& user);
  std::string context_kernel(const Target& t, const std::string& context, std::string& cwd);
  void remove_record(const Record& r);
  const templates::Template& template_of(const std::string& name) const;
  std::vector<ServiceInfo> list_services(const std::string& session_id);

  engine::Engine& engine_;
  const templates::Store& store_;
  ManagerOptions opts_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Relay>> relays_;      // "id/kernel instance"
  std::map<std::string, std::shared_ptr<AgentSlot>> agents_;  // "id/uid"
  std::map<std::string, std::vector<CodeContext>> contexts_;  // session id -> contexts made through this process
  std::map<std::string, Target> known_;                       // id -> target, while a relay or an agent lives
  std::unique_ptr<SessionPool> pool_;
};

nlohmann::json to_json(const FileEntry& e);
nlohmann::json to_json(const GcResult& g);

}  // namespace orch::session
