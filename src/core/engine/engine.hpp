#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine/spec.hpp"
#include "core/engine/stream.hpp"

namespace orch::engine {

// The states orch tells apart; engines map theirs onto these (a Pod's phases too).
enum class State { Created, Running, Paused, Restarting, Removing, Exited, Dead, Unknown };
// The JSON word for a state ("running", "exited", ...); session records carry it.
const char* state_name(State s);
State parse_state(const std::string& word);

// One sandbox as list() sees it.
struct SandboxInfo {
  std::string id;
  std::string name;
  std::string image;
  Labels labels;
  State state = State::Unknown;
  std::optional<int64_t> expires;  // what create or set_expiry gave it
};

// One sandbox as inspect() sees it.
struct SandboxStatus {
  State state = State::Unknown;
  bool running = false;
  int64_t exit_code = -1;
  bool oom_killed = false;  // the kernel killed its process for memory
};

struct NetworkInfo {
  std::string id;
  std::string name;
  Labels labels;
  size_t members = 0;  // sandboxes attached, as far as the listing tells
  std::optional<int64_t> created;  // unix time, when the engine tells
};

// What one sandbox uses now, as the engine measures it.
struct ResourceUse {
  double cpu_percent = 0;     // of one CPU, over the engine's last interval
  uint64_t cpu_total_ns = 0;  // since it started
  int64_t memory_bytes = 0;   // without the page cache
  int64_t memory_limit_bytes = 0;
  int64_t pids = 0, pids_limit = 0;
  int64_t net_rx_bytes = 0, net_tx_bytes = 0;
  int64_t disk_read_bytes = 0, disk_write_bytes = 0;
};

// An image on the engine.
struct ImageInfo {
  std::string id;
  std::vector<std::string> tags;
  Labels labels;
  std::vector<int> ports;  // the ports it says it exposes
};

// What an engine is and has, for `orch version` and /health.
struct EngineInfo {
  std::string kind;     // "docker"
  std::string version;  // the engine's own
  std::string api_version;
  std::string os;
  std::vector<std::string> runtimes;
  std::string arch;  // "amd64", "arm64": which binaries a template build downloads
  int cpus = 0;      // 0 = not known
};

// What an engine can do beyond the interface; callers use an extra only when it is there.
struct Capabilities {
  // Host directories mount into sandboxes (SandboxSpec::host_mounts), and sandbox processes are
  // processes of this host (a unix socket's peer credentials name them): the warm pool's direct
  // output path (sandbox/direct_io) needs both.
  bool host_mounts = false;
  // A scratch mount can belong to another user than the sandbox's (Podman 4.3 ignores uid and gid).
  bool scratch_owner = true;
  // Where the engine itself puts orch's in-sandbox agent, read-only, for a spec with `with_agent`
  // (Kubernetes: an init container copies it from orch's image); "" = it cannot.
  std::string agent_path;
  // The engine builds images itself and knows which exist (Kubernetes: neither; its nodes pull).
  bool builds_images = true;
};

// What a sandbox on the bridge may reach: public addresses, and with `lan` private ones too (RFC
// 1918, unique local, carrier-grade NAT); never the engine host's own addresses, link-local ones
// (cloud metadata) or special ranges. DNS (port 53) stays open.
struct Egress {
  bool lan = false;
};
// The ranges an Egress refuses besides the host's own addresses, as CIDR text.
std::vector<std::string> refused_ranges(const Egress& egress);

// The exit of a sandbox's main process, registered before start so it cannot be missed.
class ExitWait {
 public:
  virtual ~ExitWait() = default;
  // The exit code once the process ended (again on later calls); throws when the engine fails or
  // `timeout` passes first.
  virtual int64_t exit_code(std::chrono::milliseconds timeout) = 0;
};

// A process started by exec() in a running sandbox.
class Process {
 public:
  virtual ~Process() = default;
  virtual Stream& stream() = 0;
  // The exit code after the stream ended; -1 when the engine does not tell within a short while.
  virtual int exit_code() = 0;
};

// The container engine behind orch: everything sessions, the pool, one-shot runs, services and gc
// ask of it. DockerEngine speaks the Docker Engine API; another backend (a Pod per sandbox on
// Kubernetes) implements the same calls in its own terms. Errors are orch::Error with a kind and,
// where a caller reacts to it, a Reason (ImageMissing, UnknownRuntime, MountRefused, NotFound,
// NotRunning, NameInUse). Thread-safe.
class Engine {
 public:
  virtual ~Engine() = default;

  // Where the engine is, for messages ("unix:///var/run/docker.sock").
  virtual std::string endpoint() const = 0;
  // A cheap liveness check (under a millisecond): kind, version and api_version as far as the
  // answer carries them (version may be ""); info() has the rest. Throws Unavailable when the
  // engine does not answer.
  virtual EngineInfo ping() = 0;
  virtual EngineInfo info() = 0;
  virtual Capabilities capabilities() = 0;

  // Sandboxes. create() makes one without starting it and returns its id; attach() and
  // wait_exit() before start() see everything from its first byte to its exit.
  virtual std::string create(const SandboxSpec& spec) = 0;
  // What create() would send for `spec`, in the engine's own terms (Docker's create body, a Pod
  // manifest), without asking the engine anything: `--dry-run` and audits.
  virtual nlohmann::json create_request(const SandboxSpec& spec) const = 0;
  virtual void start(const std::string& id) = 0;
  virtual std::unique_ptr<Stream> attach(const std::string& id, bool with_stdin) = 0;
  virtual std::unique_ptr<ExitWait> wait_exit(const std::string& id) = 0;
  // Kills the main process; a sandbox that is gone or stopped is not an error.
  virtual void kill(const std::string& id) = 0;
  // Removes the sandbox and its scratch space; one that is gone (or going) is not an error.
  virtual void remove(const std::string& id) = 0;
  // nullopt when the sandbox does not exist.
  virtual std::optional<SandboxStatus> inspect(const std::string& id) = 0;
  // Every sandbox (running or not) carrying all of `match`'s labels.
  virtual std::vector<SandboxInfo> list(const Labels& match) = 0;
  // Moves the sandbox's expiry (see SandboxSpec::expires).
  virtual void set_expiry(const std::string& id, int64_t expires) = 0;
  // Whether the engine itself (a restart, an operator's stop) ended the sandbox since `since_unix`,
  // rather than its own program; true when the engine cannot tell because it is going away.
  virtual bool stopped_by_engine(const std::string& id, int64_t since_unix) = 0;
  // Whether the engine recorded an out-of-memory kill in the sandbox since `since_unix`: a second
  // witness beside inspect's flag, which a loaded engine may set after the exit or not at all.
  virtual bool oom_reported(const std::string& id, int64_t since_unix);

  // A process in a running sandbox; throws Conflict (Reason::NotRunning) when it is not running.
  virtual std::unique_ptr<Process> exec(const std::string& id, const ExecSpec& spec) = 0;

  // Networks that sandboxes join by name (SandboxSpec::network); Kubernetes maps one to a
  // NetworkPolicy over a label.
  virtual std::string create_network(const NetworkSpec& spec) = 0;
  virtual void remove_network(const std::string& id_or_name) = 0;  // gone is not an error
  virtual std::vector<NetworkInfo> list_networks(const Labels& match) = 0;

  // Puts a firewall on a started sandbox on the bridge before any code of the caller's runs in it
  // (the caller holds its program back until this returns). Throws BadInput when this engine, or
  // the sandbox's runtime, cannot: a networked sandbox is refused rather than run unguarded.
  virtual void guard_network(const std::string& id, const Egress& egress);
  // Builds what the engine needs of its own before a sandbox asks for it (Docker: the network
  // guard's image), with progress lines; nothing for engines that need nothing.
  virtual void prepare(const std::function<void(const std::string&)>& on_line);
  // Small named, labelled records the engine keeps beside the sandboxes, for state that must
  // outlive orch but cannot go on a sandbox made earlier (a pooled session's claim). Docker keeps
  // each as a volume that is never mounted, Kubernetes as a ConfigMap. An engine without them keeps
  // none: create_record throws Unavailable, and callers (the session pool) fall back to making
  // sandboxes afresh.
  virtual void create_record(const std::string& name, const Labels& labels);
  virtual std::optional<Labels> find_record(const std::string& name);
  virtual std::vector<std::pair<std::string, Labels>> list_records(const Labels& match);
  virtual void remove_record(const std::string& name);  // gone is not an error

  // From now on, listings (list, list_records) may be answered from memory while the engine's own
  // event stream says nothing changed: for a long-running server, whose listings would otherwise
  // each cost an engine call. Engines without such a stream keep asking the engine.
  virtual void follow_changes() {}

  // Images.
  virtual bool image_exists(const std::string& ref) = 0;
  // Builds an image, giving each line of progress as it comes; throws when the build fails.
  virtual void build_image(const ImageBuild& build, const std::function<void(const std::string&)>& on_line) = 0;

  // Extras an engine may not have (the defaults throw Unavailable saying so, or know nothing).
  // What a running sandbox uses now; NotFound when it is gone.
  virtual ResourceUse usage(const std::string& id);
  // An image's id, tags, labels and exposed ports; nullopt when it is not on the engine.
  virtual std::optional<ImageInfo> image(const std::string& ref);
  // The images carrying all of `match`'s labels.
  virtual std::vector<ImageInfo> images(const Labels& match);
  // Removes an image by tag or id; false when a sandbox still uses it (it stays).
  virtual bool remove_image(const std::string& ref);
};

// The engine orch is configured to use: ORCH_BACKEND=docker (the default; DOCKER_HOST) or
// kubernetes (kube/config's load_config, ORCH_K8S_* settings).
std::unique_ptr<Engine> engine_from_env();
std::string backend_from_env();  // "docker" or "kubernetes"; throws BadInput for anything else

}  // namespace orch::engine
