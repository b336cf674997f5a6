#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "core/agent/agent.hpp"
#include "core/sandbox/direct_io.hpp"
#include "core/sandbox/shell_runner.hpp"

namespace orch::cli {

namespace {

// Copies this binary to `dest` (mode 0555): a Kubernetes init container puts the agent where a
// session's sandbox mounts it read-only.
int install_agent(const char* dest) {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  std::ofstream out(dest, std::ios::binary | std::ios::trunc);
  if (in && out) out << in.rdbuf();
  out.close();
  if (in && out && ::chmod(dest, 0555) == 0) return 0;
  std::cerr << "orch agent install: cannot write " << dest << ": " << std::strerror(errno) << "\n";
  return 1;
}

}  // namespace

// Not for people: the host starts `orch agent` inside a session's container (see
// core/agent/agent.hpp); `orch agent install PATH` is a Kubernetes init container's command;
// `orch agent direct DIR ARGV...` starts a pooled sandbox's warm runner on orch's direct sockets;
// `orch agent shell DIR [COMMAND...]` is the warm runner of languages without their own, COMMAND
// the bash it starts ahead of the request (shell_runner.hpp).
int agent_main(int argc, char** argv) {
  if (argc == 1) return agent::run();
  if (argc == 3 && !std::strcmp(argv[1], "install")) return install_agent(argv[2]);
  if (argc >= 4 && !std::strcmp(argv[1], "direct")) return sandbox::exec_with_direct_output(argv[2], argv + 3);
  if (argc >= 3 && !std::strcmp(argv[1], "shell")) return sandbox::shell_runner(argv[2], std::vector<std::string>(argv + 3, argv + argc));
  return 2;
}

}  // namespace orch::cli
