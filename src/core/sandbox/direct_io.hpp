#pragma once
#include <memory>
#include <string>

#include "core/engine/stream.hpp"

namespace orch::sandbox {

// A warm runner's stdout and stderr can come to orch over two unix sockets instead of the engine's
// attach copy, whose every hop (dockerd, containerd-shim) wakes a sleeping thread: about 1 ms per
// message after idle, and the two streams arriving apart. The sockets listen in a private host
// directory mounted read-only into the sandbox; its runner connects before any program exists,
// orch accepts one connection per socket from a process of that container and then removes the
// listeners, so nothing on the host stays reachable from inside. The request (files, argv) goes
// over the stdout socket too, before the program exists; stdin stays on the attach stream. Any
// step that fails leaves the run on the attach stream. Python's runner connects itself; node's is
// started by `orch agent direct` (exec_with_direct_output), this binary mounted read-only into the
// sandbox, which connects and hands it the sockets as stdout and stderr; the shell runner is that
// binary itself (`orch agent shell`, shell_runner.hpp).
class DirectOutput {
 public:
  static constexpr const char* kMountPoint = "/.orch-io";

  // A fresh directory holding the listening sockets "o" and "e"; nullptr when none can be made.
  static std::unique_ptr<DirectOutput> open();
  ~DirectOutput();  // closes the listeners and removes the directory
  DirectOutput(const DirectOutput&) = delete;
  DirectOutput& operator=(const DirectOutput&) = delete;

  // Removes directories an orch killed while making a sandbox left behind (older than 10 minutes).
  static void remove_stale();

  const std::string& dir() const { return dir_; }
  // Readable (for poll) once a connection to "o" waits to be accepted.
  int waiting_fd() const { return out_listener_; }
  // The waiting connections as a stdout and a stderr stream, when both came from a process in
  // container `id`'s cgroup.
  bool accept(const std::string& id, std::unique_ptr<engine::Stream>& out, std::unique_ptr<engine::Stream>& err);

 private:
  DirectOutput() = default;
  std::string dir_;
  int out_listener_ = -1, err_listener_ = -1;
};

// Whether the process `pid` belongs to container `id` (its cgroup path names the id).
bool process_in_container(int pid, const std::string& id);

// In the sandbox: connects to the sockets "o" and "e" in `dir` as stdout and stderr; false (and
// both as they were) when either connection fails.
bool connect_direct_output(const std::string& dir);
// In the sandbox: connects to the sockets "o" and "e" in `dir` and runs `argv` with them as its
// stdout and stderr and ORCH_DIRECT_IO=1 in its environment, or as it is when either connection
// fails. Returns only when `argv` cannot be run (127).
int exec_with_direct_output(const std::string& dir, char** argv);

}  // namespace orch::sandbox
