#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orch::engine {

using Labels = std::map<std::string, std::string>;

// A writable scratch filesystem in memory (Docker: tmpfs; Kubernetes: an emptyDir with medium Memory).
struct ScratchMount {
  std::string path;
  std::string size;   // with a unit, as orch writes limits: "64m"
  std::string owner;  // "uid:gid" owning its root; "" = the engine's default
  std::string mode = "0755";
  int64_t max_files = 32768;  // inodes: a million empty files would cost kernel memory, not size
};

// A host directory visible in the sandbox; only engines whose capabilities() say host_mounts take one.
struct HostMount {
  std::string source;  // on the host
  std::string target;  // in the sandbox
  bool read_only = true;
};

// Everything that decides how a sandbox is made, in no engine's vocabulary. The defaults are
// orch's hardening: a read-only root, no capabilities, no new privileges, an init, no network.
struct SandboxSpec {
  std::string name;  // unique; Docker's container name, a Pod's name
  std::string image;
  std::vector<std::string> argv;  // replaces the image's command
  std::vector<std::string> env;   // K=V
  std::string user = "1000:1000";
  std::string workdir = "/workspace";
  std::string hostname;
  Labels labels;  // what list() finds it by; orch's own keys are in sandbox/spec.hpp

  int64_t memory_bytes = 256LL << 20;  // also the limit with swap: no swap
  double cpus = 1.0;
  int64_t pids = 128;

  std::vector<ScratchMount> scratch;
  std::vector<HostMount> host_mounts;
  bool with_agent = false;  // the engine puts orch's agent at capabilities().agent_path
  bool read_only_root = true;
  std::vector<std::string> add_capabilities;  // every other one is dropped
  std::string seccomp_profile;  // an OCI seccomp profile as JSON; "" = the engine's default profile
  bool init = true;             // a minimal init reaps zombies and forwards signals
  bool hardened_limits = true;  // private IPC, small /dev/shm, no core dumps, 1024 files, first to go when memory runs out

  std::string network = "none";  // none | bridge | the name of a network made with create_network
  bool lan = false;  // on the bridge, private ranges are reachable too (Egress::lan); an engine that cannot keep that safe refuses it
  std::vector<std::string> network_aliases;  // host names other members of `network` reach it by
  std::string runtime;           // "" = the engine's default; "runsc" = gVisor
  std::string share_pids_with;   // a sandbox id whose process namespace this one joins (dies with it)
  bool open_stdin = false;       // attach() may write stdin (once: closing it is final)
  bool remove_on_exit = false;   // the engine removes it when its main process ends

  // When it should end, unix seconds: Docker keeps this in the container name (labels cannot change),
  // Kubernetes in an annotation. set_expiry() moves it; list() reports it.
  std::optional<int64_t> expires;
};

// A process started in a running sandbox.
struct ExecSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // K=V, added to the sandbox's
  std::string user;              // "" = the sandbox's
  std::string workdir;           // "" = the sandbox's
  bool attach_stdin = true;
  // How long the engine may take to create, start or report on it: an engine can hang on a
  // sandbox whose processes are being stopped (runc's exec init runs as the sandbox's user).
  std::chrono::milliseconds engine_timeout = std::chrono::seconds(60);
};

struct NetworkSpec {
  std::string name;
  bool internal = true;  // members reach each other and nothing else
  Labels labels;
};

struct ImageBuild {
  std::string context_tar;  // a tar holding the Dockerfile and what it copies
  std::string tag;
  Labels labels;
};

}  // namespace orch::engine
