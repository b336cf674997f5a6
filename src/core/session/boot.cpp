#include "core/session/boot.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>

#include "core/error.hpp"
#include "core/util/embedded.hpp"
#include "core/util/tar.hpp"

namespace orch::session {

std::string kernel_tar(bool with_agent) {
  tar::Writer w;
  for (const auto& f : embedded_assets()) {
    if (f.path.rfind("kernels/", 0) != 0 || f.path == "kernels/supervisor.sh") continue;
    w.add_file(f.path.substr(8), embedded_program(f.path), 0644);
  }
  if (with_agent) {
    std::ifstream in("/proc/self/exe", std::ios::binary);
    std::string self((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (self.empty()) throw Error(ErrorKind::Infrastructure, "cannot read this orch binary to ship it as the sandbox agent");
    w.add_file("orch", self, 0755);
  }
  return w.finish();
}

std::string agent_binary_to_mount() {
  static const std::string path = [] {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return std::string();
    std::string p(buf, static_cast<size_t>(n));
    if (p.find(" (deleted)") != std::string::npos || ::access(p.c_str(), X_OK) != 0) return std::string();
    return p;
  }();
  return path;
}

std::vector<std::string> supervisor_command(int64_t expires, size_t tar_size) {
  std::string script(embedded_asset("kernels/supervisor.sh"));
  return {"bash", "-c", script, "orch-supervisor", std::to_string(expires), std::to_string(tar_size)};
}

bool known_kernel(const std::string& kernel) { return kernel == "python" || kernel == "node" || kernel == "bash"; }

std::vector<std::string> relay_command(const std::string& kernel, const std::string& instance, const std::string& cwd) {
  if (kernel == "python") return {"python3", "-I", "/tmp/.orch/lib/python_kernel.py", "relay", instance, cwd};
  if (kernel == "node") return {"node", "/tmp/.orch/lib/node_kernel.js", "relay", instance, cwd};
  if (kernel == "bash") return {"bash", "/tmp/.orch/lib/bash_kernel.sh", "relay", instance, cwd};
  throw Error(ErrorKind::BadInput, "unknown session kernel '" + kernel + "' (python, node or bash)");
}

std::vector<std::string> kill_kernel_command(const std::string& instance) {
  // The kernel leads its own process group, so its children die with it. Opening the bash
  // kernel's reply FIFO read-write and closing it releases a relay blocked on it.
  return {"bash", "-c",
          "d=/tmp/.orch/k/$1; p=; read -r p < \"$d/pid\" 2>/dev/null; rm -f \"$d/pid\"; "
          "[ -n \"$p\" ] && kill -KILL -- \"-$p\" 2>/dev/null; "
          "if [ -p \"$d/out\" ]; then exec 3<>\"$d/out\"; exec 3>&-; fi; exit 0",
          "orch-kill", instance};
}

std::vector<std::string> interrupt_kernel_command(const std::string& instance) {
  return {"bash", "-c", "p=; read -r p < \"/tmp/.orch/k/$1/pid\" 2>/dev/null; [ -n \"$p\" ] && kill -INT -- \"-$p\" 2>/dev/null; exit 0",
          "orch-interrupt", instance};
}

std::vector<std::string> set_expiry_command(int64_t expires) {
  return {"bash", "-c",
          "printf '%s\\n' \"$1\" > /tmp/.orch/ctl/expires.new && mv -f /tmp/.orch/ctl/expires.new /tmp/.orch/ctl/expires",
          "orch-extend", std::to_string(expires)};
}

}  // namespace orch::session
