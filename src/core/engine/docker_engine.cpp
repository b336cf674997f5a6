#include "core/engine/docker_engine.hpp"

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/engine/socket_stream.hpp"
#include "core/error.hpp"
#include "core/util/time.hpp"
#include "core/util/url.hpp"

namespace orch::engine {

using nlohmann::json;

namespace {

std::vector<std::string> label_filters(const Labels& match) {
  std::vector<std::string> f;
  for (const auto& [k, v] : match) f.push_back(k + "=" + v);
  return f;
}

Labels labels_of(const json& j) {
  Labels out;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

std::string first_name(const json& listed) {
  auto names = listed.value("Names", json::array());
  if (names.empty() || !names[0].is_string()) return "";
  std::string n = names[0].get<std::string>();
  return !n.empty() && n[0] == '/' ? n.substr(1) : n;
}

class DockerExitWait : public ExitWait {
 public:
  explicit DockerExitWait(docker::PendingWait w) : wait_(std::move(w)) {}
  int64_t exit_code(std::chrono::milliseconds timeout) override {
    if (!code_) code_ = wait_.result(timeout);  // the engine answers once: later calls get the same
    return *code_;
  }

 private:
  docker::PendingWait wait_;
  std::optional<int64_t> code_;
};

class DockerProcess : public Process {
 public:
  DockerProcess(docker::Client& client, std::string exec_id, std::unique_ptr<Stream> stream, std::chrono::milliseconds timeout)
      : client_(client), exec_id_(std::move(exec_id)), stream_(std::move(stream)), timeout_(timeout) {}
  Stream& stream() override { return *stream_; }
  int exit_code() override {
    // The engine sets the exit code a moment after the stream ends.
    for (int i = 0; i < 50; ++i) {
      auto j = client_.exec_inspect(exec_id_, timeout_);
      if (!j.value("Running", false) && !j["ExitCode"].is_null()) return j.value("ExitCode", -1);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  docker::Client& client_;
  std::string exec_id_;
  std::unique_ptr<Stream> stream_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<DockerEngine> DockerEngine::from_env() {
  return std::make_unique<DockerEngine>(std::make_shared<docker::SocketTransport>(docker::endpoint_from_env()));
}

nlohmann::json DockerEngine::create_request(const SandboxSpec& spec) const {
  // A dry run asks no engine: this is the body Docker would get.
  return {{"name", spec.name}, {"body", docker_create_body(spec, docker::Flavor::Docker)}};
}

std::string DockerEngine::endpoint() const { return client_.endpoint_display(); }

EngineInfo DockerEngine::ping() {
  EngineInfo out;
  out.kind = "docker";
  out.version = client_.ping();
  out.api_version = client_.api_version();
  return out;
}

EngineInfo DockerEngine::info() {
  EngineInfo out;
  out.kind = "docker";
  auto v = client_.version();
  out.version = v.value("Version", "");
  out.os = v.value("Os", "");
  out.arch = v.value("Arch", "");
  out.api_version = client_.api_version();
  const json info = client_.info();
  const json runtimes = info.value("Runtimes", json::object());  // items() must not outlive it
  for (const auto& [name, _] : runtimes.items()) out.runtimes.push_back(name);
  out.cpus = info.value("NCPU", 0);
  return out;
}

Capabilities DockerEngine::capabilities() {
  // A unix socket means the engine runs on this host, so its bind mounts and processes are ours to see.
  Capabilities c;
  c.host_mounts = endpoint().rfind("unix://", 0) == 0;
  c.scratch_owner = client_.flavor() != docker::Flavor::Podman;
  return c;
}

std::string DockerEngine::create(const SandboxSpec& spec) {
  auto id = client_.create_container(docker_create_body(spec, client_.flavor()), docker_container_name(spec));
  sandboxes_.drop_matching(spec.labels);
  return id;
}

void DockerEngine::start(const std::string& id) {
  client_.start(id);
  changed_sandbox(id);
}

std::unique_ptr<Stream> DockerEngine::attach(const std::string& id, bool with_stdin) {
  return multiplexed_stream(std::move(client_.attach(id, with_stdin).conn));
}

std::unique_ptr<ExitWait> DockerEngine::wait_exit(const std::string& id) {
  return std::make_unique<DockerExitWait>(client_.wait_next_exit(id));
}

void DockerEngine::kill(const std::string& id) {
  client_.kill(id, "KILL");
  changed_sandbox(id);
}

void DockerEngine::remove(const std::string& id) {
  client_.remove(id);
  changed_sandbox(id);
}

std::optional<SandboxStatus> DockerEngine::inspect(const std::string& id) {
  auto c = client_.try_inspect(id);
  if (!c) return std::nullopt;
  const json state = c->value("State", json::object());
  SandboxStatus s;
  s.state = parse_state(state.value("Status", ""));
  s.running = state.value("Running", false);
  s.exit_code = state.value("ExitCode", int64_t{-1});
  s.oom_killed = state.value("OOMKilled", false);
  return s;
}

std::vector<SandboxInfo> DockerEngine::list(const Labels& match) {
  return sandboxes_.get(match, keep_listings(), [&] { return list_now(match); });
}

std::vector<SandboxInfo> DockerEngine::list_now(const Labels& match) {
  std::vector<SandboxInfo> out;
  for (const auto& c : client_.list_containers(label_filters(match))) {
    SandboxInfo i;
    i.id = c.value("Id", "");
    i.name = first_name(c);
    i.image = c.value("Image", "");
    i.labels = labels_of(c.value("Labels", json::object()));
    i.state = parse_state(c.value("State", ""));
    i.expires = expiry_in_name(i.name);
    out.push_back(std::move(i));
  }
  return out;
}

void DockerEngine::set_expiry(const std::string& id, int64_t expires) {
  std::string name = client_.inspect(id).value("Name", "");
  if (!name.empty() && name[0] == '/') name = name.substr(1);
  if (expiry_in_name(name)) name = name.substr(0, name.rfind("-x"));
  client_.rename(id, name + "-x" + std::to_string(expires));
  changed_sandbox(id);
}

namespace {

// The engine's events about one container since `since_unix` (up to now) among `actions`, or
// nullopt when the engine did not answer.
std::optional<std::string> events_of(docker::Client& client, const std::string& id, int64_t since_unix,
                                     const std::vector<std::string>& actions) {
  try {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
    std::string until = std::to_string(ns / 1000000000) + "." + std::to_string(1000000000 + ns % 1000000000).substr(1);
    json filters = {{"container", {id}}, {"event", actions}};
    auto r =
        client.call("GET", "/events?since=" + std::to_string(since_unix) + "&until=" + until + "&filters=" + percent_encode(filters.dump()),
                    "", "application/json", std::chrono::seconds(5));
    if (r.status != 200) return std::nullopt;
    return r.body;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

bool DockerEngine::stopped_by_engine(const std::string& id, int64_t since_unix) {
  // Signals sent inside a sandbox leave no engine event; a restart or `docker stop` leaves one.
  auto seen = events_of(client_, id, since_unix, {"kill", "stop"});
  return !seen || seen->find("\"Action\"") != std::string::npos;
}

bool DockerEngine::oom_reported(const std::string& id, int64_t since_unix) {
  auto seen = events_of(client_, id, since_unix, {"oom"});
  return seen && seen->find("\"Action\"") != std::string::npos;
}

std::unique_ptr<Process> DockerEngine::exec(const std::string& id, const ExecSpec& spec) {
  docker::ExecOptions o;
  o.cmd = spec.argv;
  o.env = spec.env;
  o.user = spec.user;
  o.workdir = spec.workdir;
  o.attach_stdin = spec.attach_stdin;
  o.engine_timeout = spec.engine_timeout;
  std::string exec_id = client_.exec_create(id, o);
  auto stream = multiplexed_stream(std::move(client_.exec_start(exec_id, spec.engine_timeout).conn));
  return std::make_unique<DockerProcess>(client_, std::move(exec_id), std::move(stream), spec.engine_timeout);
}

std::string DockerEngine::create_network(const NetworkSpec& spec) {
  // An internal network whose bridge has no address of the host's reaches its members and nothing else.
  std::map<std::string, std::string> options;
  if (spec.internal) options["com.docker.network.bridge.inhibit_ipv4"] = "true";
  return client_.create_network(spec.name, spec.internal, spec.labels, options);
}

void DockerEngine::remove_network(const std::string& id_or_name) { client_.remove_network(id_or_name); }

std::vector<NetworkInfo> DockerEngine::list_networks(const Labels& match) {
  std::vector<NetworkInfo> out;
  for (const auto& n : client_.list_networks(label_filters(match))) {
    NetworkInfo i;
    i.id = n.value("Id", "");
    i.name = n.value("Name", "");
    i.labels = labels_of(n.value("Labels", json::object()));
    i.members = n.value("Containers", json::object()).size();
    i.created = parse_iso_time(n.value("Created", ""));
    out.push_back(std::move(i));
  }
  return out;
}

bool DockerEngine::image_exists(const std::string& ref) { return client_.inspect_image(ref).has_value(); }

void DockerEngine::build_image(const ImageBuild& build, const std::function<void(const std::string&)>& on_line) {
  std::string pending;
  client_.build_image(build.context_tar, build.tag, build.labels, [&](const json& j) {
    std::string text = j.value("stream", "");
    if (text.empty() && j.contains("status")) text = j.value("status", "") + "\n";
    if (text.empty() && j.contains("error")) text = "error: " + j.value("error", "") + "\n";
    pending += text;
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      on_line(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  });
  if (!pending.empty()) on_line(pending);
}

void DockerEngine::create_record(const std::string& name, const Labels& labels) {
  client_.create_volume(name, labels);
  records_.drop_matching(labels);
}

std::optional<Labels> DockerEngine::find_record(const std::string& name) {
  auto v = client_.inspect_volume(name);
  if (!v) return std::nullopt;
  return labels_of(v->value("Labels", json::object()));
}

std::vector<std::pair<std::string, Labels>> DockerEngine::list_records(const Labels& match) {
  return records_.get(match, keep_listings(), [&] {
    std::vector<std::pair<std::string, Labels>> out;
    for (const auto& v : client_.list_volumes(label_filters(match)))
      out.emplace_back(v.value("Name", ""), labels_of(v.value("Labels", json::object())));
    return out;
  });
}

void DockerEngine::remove_record(const std::string& name) {
  client_.remove_volume(name);
  records_.drop_holding([name](const auto& r) { return r.first == name; });
}

void DockerEngine::follow_changes() {
  if (changes_) return;
  try {
    podman_ = client_.flavor() == docker::Flavor::Podman;
  } catch (const Error&) {
    podman_ = true;  // not known yet: the careful choice
  }
  changes_ = std::make_unique<ChangeFeed>(
      client_, [this](const EngineChange& c) { changed(c); },
      [this] {
        sandboxes_.drop_all();
        records_.drop_all();
      });
}

void DockerEngine::changed_sandbox(const std::string& id_or_name) {
  sandboxes_.drop_holding([id_or_name](const SandboxInfo& s) { return s.id.rfind(id_or_name, 0) == 0 || s.name == id_or_name; });
}

void DockerEngine::changed(const EngineChange& c) {
  if (c.volume) {  // a volume's event carries its name, not its labels
    records_.drop_all();
    return;
  }
  if (podman_) {
    sandboxes_.drop_all();
    return;
  }
  sandboxes_.drop_matching(c.attributes);  // a container's event carries its labels
  changed_sandbox(c.id);
}

}  // namespace orch::engine
