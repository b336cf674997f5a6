#include "core/kube/engine.hpp"

#include <thread>

#include "core/error.hpp"
#include "core/kube/kube_stream.hpp"
#include "core/kube/policy.hpp"
#include "core/sandbox/spec.hpp"
#include "core/util/time.hpp"

namespace orch::kube {

using nlohmann::json;

namespace {

const json& field(const json& j, const char* key) {
  static const json empty = json::object();
  return j.is_object() && j.contains(key) ? j[key] : empty;
}

const json& container_status(const json& pod) {
  static const json empty = json::object();
  const json& list = field(field(pod, "status"), "containerStatuses");
  return list.is_array() && !list.empty() ? list[0] : empty;
}

engine::Labels exact_labels(const json& meta) {
  engine::Labels out;
  std::string text = field(meta, "annotations").value(kAnnotationLabels, "");
  json exact = json::parse(text, nullptr, false);
  const json& src = exact.is_object() ? exact : field(meta, "labels");
  for (const auto& [k, v] : src.items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

bool matches(const engine::Labels& have, const engine::Labels& want) {
  for (const auto& [k, v] : want) {
    auto it = have.find(k);
    if (it == have.end() || it->second != v) return false;
  }
  return true;
}

class PodExitWait : public engine::ExitWait {
 public:
  PodExitWait(KubeEngine& e, std::string id) : engine_(e), id_(std::move(id)) {}
  int64_t exit_code(std::chrono::milliseconds timeout) override {
    auto deadline = Clock::now() + timeout;
    auto pause = std::chrono::milliseconds(20);
    for (;;) {
      auto status = engine_.inspect(id_);
      if (!status) throw Error(ErrorKind::NotFound, "pod " + id_ + " is gone", Reason::NotFound);
      if (status->state == engine::State::Exited || status->state == engine::State::Dead) return status->exit_code;
      if (Clock::now() >= deadline) throw Error(ErrorKind::Timeout, "pod " + id_ + " did not end in time");
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(250));
    }
  }

 private:
  KubeEngine& engine_;
  std::string id_;
};

// Throws when a container of the pod cannot start (its image, its configuration) or, for an init
// container, ended in failure: the pod would never run.
void check_not_stuck(const std::string& id, const json& status, const std::string& spec_image) {
  const json& waiting = field(field(status, "state"), "waiting");
  std::string reason = waiting.value("reason", "");
  std::string image = status.value("image", spec_image);
  if (reason == "ErrImagePull" || reason == "ImagePullBackOff" || reason == "ErrImageNeverPull" || reason == "InvalidImageName")
    throw Error(ErrorKind::NotFound,
                "image " + image + " cannot be pulled by the cluster (" + reason + "): push it to a registry the nodes pull from",
                Reason::ImageMissing);
  if (reason == "CreateContainerConfigError" || reason == "CreateContainerError" || reason == "RunContainerError")
    throw Error(ErrorKind::Infrastructure, "pod " + id + " cannot start: " + waiting.value("message", reason));
  const json& ended = field(field(status, "state"), "terminated");
  if (status.value("name", "") == "orch-agent" && ended.value("exitCode", 0) != 0)
    throw Error(ErrorKind::Infrastructure, "pod " + id + ": the init container that puts orch's agent in place (image " + image +
                                               ") failed with exit " + std::to_string(ended.value("exitCode", 0)) +
                                               ": it needs orch at /usr/bin/orch (ORCH_K8S_AGENT_IMAGE)");
}

}  // namespace

std::string selector_for(const engine::Labels& match) {
  std::string sel;
  for (const auto& [k, v] : match) {
    if (!valid_label_key(k)) continue;  // such a label is only in the annotation; list() filters on it
    sel += (sel.empty() ? "" : ",") + k + "=" + label_value(v);
  }
  return sel;
}

engine::SandboxStatus status_of(const json& pod) {
  engine::SandboxStatus st;
  const json& state = field(container_status(pod), "state");
  const json& status = field(pod, "status");
  if (state.contains("running")) {
    st.state = engine::State::Running;
    st.running = true;
  } else if (state.contains("terminated")) {
    st.state = engine::State::Exited;
    st.exit_code = field(state, "terminated").value("exitCode", -1);
    st.oom_killed = field(state, "terminated").value("reason", "") == "OOMKilled";
  } else if (status.value("phase", "") == "Failed" || status.value("phase", "") == "Succeeded") {
    st.state = engine::State::Exited;  // ended without a container status (deadline, eviction)
    st.exit_code = 137;
  } else {
    st.state = engine::State::Created;
  }
  if (field(pod, "metadata").contains("deletionTimestamp")) st.state = engine::State::Removing;
  return st;
}

engine::SandboxInfo info_of(const json& pod) {
  engine::SandboxInfo info;
  const json& meta = field(pod, "metadata");
  info.id = info.name = meta.value("name", "");
  const json& containers = field(field(pod, "spec"), "containers");
  if (containers.is_array() && !containers.empty()) info.image = containers[0].value("image", "");
  info.labels = exact_labels(meta);
  info.state = status_of(pod).state;
  std::string expires = field(meta, "labels").value(sandbox::kLabelExpires, "");
  if (!expires.empty()) info.expires = std::strtoll(expires.c_str(), nullptr, 10);
  return info;
}

std::string KubeEngine::endpoint() const {
  return client_.config().server + " (namespace " + client_.namespace_name() + ")";
}

engine::EngineInfo KubeEngine::ping() {
  json v = client_.version();
  engine::EngineInfo i;
  i.kind = "kubernetes";
  i.version = v.value("gitVersion", "");
  i.api_version = "v1";
  // The API server's "linux/amd64"; nodes can differ, but a mixed cluster pulls images, it does not build them.
  std::string platform = v.value("platform", "");
  auto slash = platform.find('/');
  i.os = platform.substr(0, slash);
  if (slash != std::string::npos) i.arch = platform.substr(slash + 1);
  // cpus stays 0 (unknown): a pod gets its own limit, never the cluster's total.
  return i;
}

engine::Capabilities KubeEngine::capabilities() {
  engine::Capabilities c;
  if (!options_.agent_image.empty()) c.agent_path = kAgentPath;
  c.builds_images = false;
  return c;
}

engine::EngineInfo KubeEngine::info() {
  auto i = ping();
  i.runtimes = {"runc"};
  if (!options_.runtime_class.empty()) i.runtimes.push_back("runsc");
  return i;
}

void KubeEngine::ensure_deny_all() {
  std::call_once(deny_all_once_, [&] {
    try {
      client_.create_network_policy(deny_all_policy());
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Conflict) throw;  // already there
    }
  });
}

json KubeEngine::create_request(const engine::SandboxSpec& spec) const {
  json pod = pod_manifest(spec, options_);
  if (spec.network != "bridge") return pod;
  return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", json::array({egress_policy(spec), pod})}};
}

// A networked pod's policy goes first, so the CNI knows it when it sets up the pod's network.
std::string KubeEngine::create(const engine::SandboxSpec& spec) {
  json pod = pod_manifest(spec, options_);
  if (spec.network == "none") ensure_deny_all();
  std::string policy;
  if (spec.network == "bridge") {
    json p = egress_policy(spec);
    policy = p["metadata"]["name"];
    try {
      client_.create_network_policy(p);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Conflict) throw;
      throw Error(ErrorKind::Conflict, e.what(), Reason::NameInUse);
    }
  }
  try {
    return client_.create_pod(pod)["metadata"].value("name", "");
  } catch (const Error& e) {
    if (!policy.empty()) {
      try {
        client_.delete_network_policy(policy);
      } catch (const Error&) {
        // gc removes it: it selects no pod
      }
    }
    if (e.kind() == ErrorKind::Conflict) throw Error(ErrorKind::Conflict, e.what(), Reason::NameInUse);
    throw;
  }
}

// The policy was made with the pod: this checks it is still there before the sandbox's code runs.
void KubeEngine::guard_network(const std::string& id, const engine::Egress& egress) {
  if (egress.lan) throw Error(ErrorKind::BadInput, "a sandbox pod cannot have network 'lan'");
  std::string name = egress_policy_name(id);
  auto p = client_.get_network_policy(name);
  if (!p || field(field(field(*p, "spec"), "podSelector"), "matchLabels").value(kLabelEgress, "") != dns_label(id))
    throw Error(ErrorKind::Infrastructure, "pod " + id + " has lost its egress policy " + name + ": it is not run unguarded");
}

json KubeEngine::wait_started(const std::string& id, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto pause = std::chrono::milliseconds(10);
  for (;;) {
    auto pod = client_.get_pod(id);
    if (!pod) throw Error(ErrorKind::NotFound, "pod " + id + " is gone", Reason::NotFound);
    const json& inits = field(field(*pod, "status"), "initContainerStatuses");
    for (const auto& st : inits.is_array() ? inits : json::array()) check_not_stuck(id, st, "");
    check_not_stuck(id, container_status(*pod), info_of(*pod).image);
    if (status_of(*pod).state != engine::State::Created) return *pod;
    if (Clock::now() >= deadline)
      throw Error(ErrorKind::Timeout, "pod " + id + " did not start in time (kubectl -n " + client_.namespace_name() +
                                          " describe pod " + id + " tells why)");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
}

void KubeEngine::start(const std::string& id) { wait_started(id, std::chrono::minutes(2)); }

std::unique_ptr<engine::Stream> KubeEngine::attach(const std::string& id, bool with_stdin) {
  wait_started(id, std::chrono::minutes(2));
  return std::make_unique<KubeStream>(client_.attach(id, "", with_stdin));
}

std::unique_ptr<engine::ExitWait> KubeEngine::wait_exit(const std::string& id) {
  return std::make_unique<PodExitWait>(*this, id);
}

// No API kills a container: the sandbox user kills every process it may signal, the main one
// included (the pod's pause process belongs to another user). A pod that cannot be reached so is deleted.
void KubeEngine::kill(const std::string& id) {
  try {
    auto rs = client_.exec(id, {{"/bin/sh", "-c", "kill -9 -1"}, "", false, false});
    while (rs->next(Clock::now() + std::chrono::seconds(10))) {
    }
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) return;
    if (auto st = inspect(id); st && st->running) remove(id);
  }
}

// A networked pod's policy goes with it; one whose pod was already gone is removed too (or by gc).
void KubeEngine::remove(const std::string& id) {
  auto pod = client_.delete_pod(id, 0);
  if (!pod || field(field(*pod, "metadata"), "labels").value("orch.net", "") == "bridge")
    client_.delete_network_policy(egress_policy_name(id));
}

// Kubernetes keeps a bare pod that ended; one that asked for remove_on_exit is deleted when orch
// first sees it ended and reported gone, as Docker's AutoRemove removes such a container (so a
// session that expired is gone, not "exited", to whoever asks next).
bool KubeEngine::removed_on_exit(const json& pod) {
  const json& meta = field(pod, "metadata");
  if (field(meta, "annotations").value(kAnnotationRemoveOnExit, "") != "1") return false;
  auto state = status_of(pod).state;
  if (state != engine::State::Exited && state != engine::State::Dead) return false;
  try {
    remove(meta.value("name", ""));
  } catch (const Error&) {
    // deleted on the next sight, or by gc
  }
  return true;
}

std::optional<engine::SandboxStatus> KubeEngine::inspect(const std::string& id) {
  auto pod = client_.get_pod(id);
  if (!pod || removed_on_exit(*pod)) return std::nullopt;
  return status_of(*pod);
}

std::vector<engine::SandboxInfo> KubeEngine::list(const engine::Labels& match) {
  std::vector<engine::SandboxInfo> out;
  for (const auto& pod : client_.list_pods(selector_for(match))) {
    auto info = info_of(pod);
    if (matches(info.labels, match) && !removed_on_exit(pod)) out.push_back(std::move(info));
  }
  return out;
}

// A record is a ConfigMap that holds nothing but its labels (made label-safe, the exact ones in
// the annotation, as on pods).
void KubeEngine::create_record(const std::string& name, const engine::Labels& labels) {
  client_.create_config_map({{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", labelled_metadata(dns_label(name), labels)}});
}

std::optional<engine::Labels> KubeEngine::find_record(const std::string& name) {
  auto cm = client_.get_config_map(dns_label(name));
  if (!cm) return std::nullopt;
  return exact_labels(field(*cm, "metadata"));
}

std::vector<std::pair<std::string, engine::Labels>> KubeEngine::list_records(const engine::Labels& match) {
  std::vector<std::pair<std::string, engine::Labels>> out;
  for (const auto& cm : client_.list_config_maps(selector_for(match))) {
    const json& meta = field(cm, "metadata");
    auto labels = exact_labels(meta);
    if (matches(labels, match)) out.emplace_back(meta.value("name", ""), std::move(labels));
  }
  return out;
}

void KubeEngine::remove_record(const std::string& name) { client_.delete_config_map(dns_label(name)); }

void KubeEngine::set_expiry(const std::string& id, int64_t expires) {
  client_.patch_pod(id, {{"metadata", {{"labels", {{sandbox::kLabelExpires, std::to_string(expires)}}}}}});
}

bool KubeEngine::stopped_by_engine(const std::string& id, int64_t /*since_unix*/) {
  auto pod = client_.get_pod(id);
  if (!pod) return true;
  std::string reason = field(*pod, "status").value("reason", "");
  return reason == "DeadlineExceeded" || reason == "Evicted" || field(*pod, "metadata").contains("deletionTimestamp");
}

std::unique_ptr<engine::Process> KubeEngine::exec(const std::string& id, const engine::ExecSpec& spec) {
  // pods/exec takes only a command: the environment and directory go through env(1). It always
  // runs as the pod's user, so asking for root is refused rather than quietly not honoured.
  if (spec.user == "root" || spec.user == "0" || spec.user.rfind("0:", 0) == 0)
    throw Error(ErrorKind::BadInput, "a process in a sandbox pod cannot run as root: exec on Kubernetes runs as the pod's user");
  std::vector<std::string> argv = spec.argv;
  if (!spec.env.empty() || !spec.workdir.empty()) {
    std::vector<std::string> wrapped = {"env"};
    if (!spec.workdir.empty()) wrapped.insert(wrapped.end(), {"-C", spec.workdir});
    wrapped.insert(wrapped.end(), spec.env.begin(), spec.env.end());
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    argv = std::move(wrapped);
  }
  try {
    return std::make_unique<KubeProcess>(client_.exec(id, {argv, "", spec.attach_stdin, false, spec.engine_timeout}));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) throw Error(ErrorKind::NotFound, e.what(), Reason::NotFound);
    // The API's 400 for a container that is not running (an ended pod that asked for
    // remove_on_exit is gone once inspected) is not the caller's bad input.
    if (e.kind() == ErrorKind::BadInput)
      if (auto st = inspect(id); !st || !st->running)
        throw Error(ErrorKind::Conflict, "sandbox " + id + " is not running", Reason::NotRunning);
    throw;
  }
}

std::string KubeEngine::create_network(const engine::NetworkSpec& spec) {
  try {
    return client_.create_network_policy(network_policy(spec))["metadata"].value("name", "");
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Conflict) throw Error(ErrorKind::Conflict, e.what(), Reason::NameInUse);
    throw;
  }
}

void KubeEngine::remove_network(const std::string& id_or_name) { client_.delete_network_policy(dns_label(id_or_name)); }

std::vector<engine::NetworkInfo> KubeEngine::list_networks(const engine::Labels& match) {
  std::vector<engine::NetworkInfo> out;
  for (const auto& pol : client_.list_network_policies(selector_for(match))) {
    engine::NetworkInfo n;
    const json& meta = field(pol, "metadata");
    n.id = n.name = meta.value("name", "");
    n.labels = exact_labels(meta);
    n.created = parse_iso_time(meta.value("creationTimestamp", ""));
    if (!matches(n.labels, match) || n.name == "orch-sandbox-deny-all") continue;
    // The pods it applies to: a private network's members, or the one pod of an egress policy.
    std::string selector;
    for (const auto& [k, v] : field(field(field(pol, "spec"), "podSelector"), "matchLabels").items())
      if (v.is_string()) selector += (selector.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    if (selector.empty()) continue;  // not one of orch's
    n.members = client_.list_pods(selector).size();
    out.push_back(std::move(n));
  }
  return out;
}

// The cluster pulls images itself; one it cannot pull fails start() with Reason::ImageMissing.
bool KubeEngine::image_exists(const std::string&) { return true; }

void KubeEngine::build_image(const engine::ImageBuild& build, const std::function<void(const std::string&)>&) {
  throw Error(ErrorKind::BadInput, "Kubernetes does not build images: build " + build.tag +
                                       " with Docker (orch templates build) and push it to a registry your nodes pull from");
}

}  // namespace orch::kube
