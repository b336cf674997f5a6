#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace orch::session {

// The session container's main process runs as this user: neither root nor the sandbox user
// (1000), so neither sandboxed code nor a service image running as root can signal it, trace it,
// or rewrite the expiry it enforces.
inline constexpr const char* kSupervisorUser = "59999:59999";

// The kernels (src/assets/kernels/*, compiled in) as a tar the supervisor unpacks at boot.
std::string kernel_tar();
// Argv of the supervisor: unpacks `tar_size` bytes of stdin into /tmp/.orch/lib, prints a ready
// line, then stops the container when the expiry passes.
std::vector<std::string> supervisor_command(int64_t expires, size_t tar_size);
inline constexpr const char* kReadyLine = "orch-session-ready\n";

// Argv of a relay for a kernel kind (python, node, bash): run by `docker exec` as the sandbox user.
std::vector<std::string> relay_command(const std::string& kernel);
// Argv that kills a kernel's process group and wakes anything waiting for its reply.
std::vector<std::string> kill_kernel_command(const std::string& kernel);
// Argv that sets the expiry the supervisor reads (run as kSupervisorUser).
std::vector<std::string> set_expiry_command(int64_t expires);

bool known_kernel(const std::string& kernel);

}  // namespace orch::session
