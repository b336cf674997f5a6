// Services: long-running helper containers (a database, an API stub) on a session's private
// network. They join the session's PID namespace, so when the session's supervisor ends it at
// its expiry the service dies with it even when no orch process runs.
#include <cmath>
#include <regex>

#include "core/error.hpp"
#include "core/sandbox/spec.hpp"
#include "core/session/container_exec.hpp"
#include "core/session/manager.hpp"
#include "core/util/random.hpp"

namespace orch::session {

namespace sb = sandbox;

namespace {

// Probes from inside the session, which proves the sandbox (and only it) can reach the service.
const char* kProbe =
    "h=$1 port=$2 path=$3 tries=$4 last=; "
    "for ((i = 0; i < tries; i++)); do "
    "  if { exec 3<>/dev/tcp/$h/$port; } 2>/dev/null; then "
    "    [ -z \"$path\" ] && { exec 3>&-; exit 0; }; "
    "    printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n' \"$path\" \"$h\" >&3; "
    "    code=; read -r -t 5 _ code _ <&3; exec 3>&-; "
    "    case $code in 2[0-9][0-9]|3[0-9][0-9]) exit 0;; esac; last=\"HTTP status ${code:-none} from $path\"; "
    "  else last=\"nothing listens on port $port\"; fi; "
    "  sleep 0.25; "
    "done; echo \"$last\" >&2; exit 1";

std::string default_service_name(const std::string& image) {
  std::string base = image.substr(0, image.find('@'));
  if (auto slash = base.rfind('/'); slash != std::string::npos) base = base.substr(slash + 1);
  std::string name = service_host_name(base.substr(0, base.find(':')));
  return name.empty() ? "service" : name;
}

void check_service(const ServiceOptions& o, const std::string& name) {
  static const std::regex name_re("[a-z0-9][a-z0-9-]{0,30}");
  if (o.image.empty() || o.image.size() > 256 || o.image.find_first_of(" \t\r\n") != std::string::npos)
    throw Error(ErrorKind::BadInput, "--image must name an image");
  if (!std::regex_match(name, name_re))
    throw Error(ErrorKind::BadInput, "service name '" + name + "' must be 1-31 lowercase letters, digits or '-'");
  if (o.port < 0 || o.port > 65535) throw Error(ErrorKind::BadInput, "--port must be between 1 and 65535");
  if (!o.health_path.empty() && (o.health_path[0] != '/' || o.health_path.find_first_of(" \t\r\n") != std::string::npos))
    throw Error(ErrorKind::BadInput, "--health must be a path starting with '/' and without spaces");
  if (!o.health_path.empty() && o.port == 0) throw Error(ErrorKind::BadInput, "--health needs --port");
  if (o.cpus <= 0 || o.cpus > 64) throw Error(ErrorKind::BadInput, "a service's cpus must be above 0 and at most 64");
  if (o.memory_bytes < (6 << 20) || o.memory_bytes > (64LL << 30))
    throw Error(ErrorKind::BadInput, "a service's memory must be between 6m and 64g");
  if (o.startup_timeout_s <= 0 || o.startup_timeout_s > 3600)
    throw Error(ErrorKind::BadInput, "the startup timeout must be above 0 and at most 3600 seconds");
  for (const auto& kv : o.env)
    if (kv.find('=') == std::string::npos || kv[0] == '=') throw Error(ErrorKind::BadInput, "--env '" + kv + "' is not KEY=VALUE");
}

}  // namespace

ServiceInfo Manager::add_service(const std::string& id_or_name, const ServiceOptions& o, const Owner& owner) {
  std::string name = o.name.empty() ? default_service_name(o.image) : service_host_name(o.name);
  if (name.empty())
    throw Error(ErrorKind::BadInput, "service name '" + o.name.substr(0, 64) + "' has no letters or digits to make a host name of");
  check_service(o, name);
  Record r = get(id_or_name, owner);
  if (r.state != "running") throw Error(ErrorKind::Conflict, "session " + r.id + " is " + r.state + ", not running");
  if (r.network != "private")
    throw Error(ErrorKind::BadInput, "session " + r.id + " has network '" + r.network +
                                         "': services need a session created with --net private");
  for (const auto& s : r.services)
    if (s.name == name) throw Error(ErrorKind::Conflict, "session " + r.id + " already has a service named '" + name + "'");

  engine::SandboxSpec spec;
  spec.name = service_sandbox_name(r.id, name);
  spec.expires = r.expires;
  spec.image = o.image;
  spec.argv = o.cmd;
  spec.env = o.env;
  spec.user = "";     // the image's own
  spec.workdir = "";  // the image's own
  spec.hostname = name;
  spec.labels = sb::base_labels("service", r.id + "-svc-" + name, r.template_name);
  spec.labels[sb::kLabelOwner] = r.owner;
  spec.labels[sb::kLabelExpires] = std::to_string(r.expires);
  spec.labels[kLabelSession] = r.id;
  spec.labels[kLabelService] = name;
  spec.labels[kLabelPort] = std::to_string(o.port);
  spec.memory_bytes = o.memory_bytes;
  spec.cpus = o.cpus;
  spec.pids = 256;
  spec.read_only_root = false;  // a service image writes where it was built to
  spec.init = false;
  spec.hardened_limits = false;
  // Enough for images that prepare their own files; no SETUID, so nothing can become the supervisor's user.
  spec.add_capabilities = {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "NET_BIND_SERVICE"};
  spec.network = network_name(r.id);
  spec.network_aliases = {name};
  spec.share_pids_with = r.container_id;
  spec.remove_on_exit = true;  // a service dies with its session and leaves nothing behind
  std::string cid;
  try {
    cid = engine_.create(spec);
  } catch (const Error& e) {
    if (e.reason() == Reason::ImageMissing)
      throw Error(ErrorKind::NotFound, "image " + o.image + " is not on the engine (orch does not pull service images)", e.reason());
    throw;
  }
  sb::ContainerGuard guard(engine_, cid);
  engine_.start(cid);

  std::string failure;
  if (o.port > 0) {
    engine::ExecSpec probe;
    probe.user = template_of(r.template_name).user;
    int tries = std::max(1, static_cast<int>(std::ceil(o.startup_timeout_s / 0.25)));
    probe.argv = {"bash", "-c", kProbe, "orch-probe", name, std::to_string(o.port), o.health_path, std::to_string(tries)};
    auto wait = std::chrono::milliseconds(static_cast<int64_t>(o.startup_timeout_s * 2000) + 10000);
    auto res = exec_capture(engine_, r.container_id, probe, "", 4096, wait);
    if (res.exit_code != 0) failure = res.err.empty() ? "the probe failed" : res.err;
  }
  auto state = engine_.inspect(cid);
  if (!state || !state->running) failure = "it exited right after starting";
  if (!failure.empty()) {
    while (!failure.empty() && failure.back() == '\n') failure.pop_back();
    throw Error(ErrorKind::Timeout, "service '" + name + "' (" + o.image + ") did not become ready: " + failure);
  }
  guard.release();
  ServiceInfo s;
  s.name = name;
  s.image = o.image;
  s.container_id = cid;
  s.state = "running";
  s.port = o.port;
  s.url = o.port > 0 ? "http://" + name + ":" + std::to_string(o.port) : "";
  return s;
}

}  // namespace orch::session
