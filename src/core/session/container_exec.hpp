#pragma once
#include <chrono>
#include <string>

#include "core/docker/client.hpp"

namespace orch::session {

struct ExecOutput {
  int exit_code = -1;
  std::string out;  // stdout, at most out_cap bytes
  std::string err;  // stderr, at most 64 KiB
  bool out_truncated = false;
};

// Starts a process in a session's container with stdin attached (`opts.attach_stdin` is set here).
// Throws Conflict when the container is not running.
struct StartedExec {
  std::string id;
  docker::AttachedStream stream;
};
StartedExec start_exec(docker::Client& client, const std::string& container, docker::ExecOptions opts);

// Runs a short helper process in a running container through `docker exec`: feeds `input` on its
// stdin (then EOF), collects its output, and returns its exit code. Throws Timeout at the deadline
// and Conflict when the container is not running.
ExecOutput exec_capture(docker::Client& client, const std::string& container, const docker::ExecOptions& opts,
                        const std::string& input, size_t out_cap, std::chrono::milliseconds timeout);

}  // namespace orch::session
