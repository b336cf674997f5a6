#pragma once
#include <string>

namespace orch::sandbox {

// orch's own seccomp profile for sandboxes (Docker's JSON format, passed inline as
// "seccomp=<profile>"): an allowlist of the calls programs use; tracing other processes, new
// namespaces, mounts, BPF, io_uring, keyrings, userfaultfd and machine-wide calls are refused.
const std::string& seccomp_profile();

}  // namespace orch::sandbox
