#include "core/session/boot.hpp"

#include "core/error.hpp"
#include "core/util/embedded.hpp"
#include "core/util/tar.hpp"

namespace orch::session {

std::string kernel_tar() {
  tar::Writer w;
  for (const auto& f : embedded_assets()) {
    if (f.path.rfind("kernels/", 0) != 0 || f.path == "kernels/supervisor.sh") continue;
    w.add_file(f.path.substr(8), f.data, 0644);
  }
  return w.finish();
}

std::vector<std::string> supervisor_command(int64_t expires, size_t tar_size) {
  std::string script(embedded_asset("kernels/supervisor.sh"));
  return {"bash", "-c", script, "orch-supervisor", std::to_string(expires), std::to_string(tar_size)};
}

bool known_kernel(const std::string& kernel) { return kernel == "python" || kernel == "node" || kernel == "bash"; }

std::vector<std::string> relay_command(const std::string& kernel) {
  if (kernel == "python") return {"python3", "-I", "/tmp/.orch/lib/python_kernel.py", "relay"};
  if (kernel == "node") return {"node", "/tmp/.orch/lib/node_kernel.js", "relay"};
  if (kernel == "bash") return {"bash", "/tmp/.orch/lib/bash_kernel.sh", "relay"};
  throw Error(ErrorKind::BadInput, "unknown session kernel '" + kernel + "' (python, node or bash)");
}

std::vector<std::string> kill_kernel_command(const std::string& kernel) {
  if (!known_kernel(kernel)) throw Error(ErrorKind::BadInput, "unknown session kernel '" + kernel + "'");
  // The kernel leads its own process group, so its children die with it. Opening the bash
  // kernel's reply FIFO read-write and closing it releases a relay blocked on it.
  return {"bash", "-c",
          "d=/tmp/.orch/k/$1; p=; read -r p < \"$d/pid\" 2>/dev/null; rm -f \"$d/pid\"; "
          "[ -n \"$p\" ] && kill -KILL -- \"-$p\" 2>/dev/null; "
          "if [ -p \"$d/out\" ]; then exec 3<>\"$d/out\"; exec 3>&-; fi; exit 0",
          "orch-kill", kernel};
}

std::vector<std::string> set_expiry_command(int64_t expires) {
  return {"bash", "-c",
          "printf '%s\\n' \"$1\" > /tmp/.orch/ctl/expires.new && mv -f /tmp/.orch/ctl/expires.new /tmp/.orch/ctl/expires",
          "orch-extend", std::to_string(expires)};
}

}  // namespace orch::session
