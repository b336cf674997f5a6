#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace orch::session {

// The session container's main process runs as this user: neither root nor the sandbox user
// (1000), so neither sandboxed code nor a service image running as root can signal it, trace it,
// or rewrite the expiry it enforces.
inline constexpr const char* kSupervisorUser = "59999:59999";

// The kernels (src/assets/kernels/*, compiled in) as a tar the supervisor unpacks at boot; with
// `with_agent`, this orch binary too (as lib/orch), for engines that cannot mount it.
std::string kernel_tar(bool with_agent = false);
// Where the agent is in a session's sandbox: mounted from the host, or unpacked from the tar.
inline constexpr const char* kAgentMount = "/.orch-agent";
inline constexpr const char* kAgentInTar = "/tmp/.orch/lib/orch";
// This orch binary's path while it is still on disk (for an engine that mounts host files); "".
std::string agent_binary_to_mount();
// Argv of the supervisor: unpacks `tar_size` bytes of stdin into /tmp/.orch/lib, prints a ready
// line, then stops the container when the expiry passes.
std::vector<std::string> supervisor_command(int64_t expires, size_t tar_size);
inline constexpr const char* kReadyLine = "orch-session-ready\n";

// Argv of a relay for a kernel kind (python, node, bash): run by `docker exec` as the sandbox user.
// `instance` names the kernel (its directory under /tmp/.orch/k; the kind for the default one) and
// `cwd` is where it starts.
std::vector<std::string> relay_command(const std::string& kernel, const std::string& instance, const std::string& cwd);
// Argv that kills a kernel instance's process group and wakes anything waiting for its reply.
std::vector<std::string> kill_kernel_command(const std::string& instance);
// Argv that sends SIGINT to a kernel instance's process group (python and node interrupt the code).
std::vector<std::string> interrupt_kernel_command(const std::string& instance);
// Argv that sets the expiry the supervisor reads (run as kSupervisorUser).
std::vector<std::string> set_expiry_command(int64_t expires);

bool known_kernel(const std::string& kernel);

}  // namespace orch::session
