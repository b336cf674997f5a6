#include "core/docker/client.hpp"

#include <cstdio>

#include "core/error.hpp"
#include "core/util/url.hpp"

namespace orch::docker {

std::string min_version(const std::string& a, const std::string& b) {
  int a1 = 0, a2 = 0, b1 = 0, b2 = 0;
  std::sscanf(a.c_str(), "%d.%d", &a1, &a2);
  std::sscanf(b.c_str(), "%d.%d", &b1, &b2);
  return (a1 < b1 || (a1 == b1 && a2 < b2)) ? a : b;
}

std::string url_encode(std::string_view s) { return percent_encode(s, "/:"); }

Client Client::from_env() { return Client(std::make_shared<SocketTransport>(endpoint_from_env())); }

std::string Client::endpoint_display() const {
  if (auto* st = dynamic_cast<SocketTransport*>(t_.get())) return st->endpoint().display();
  return "(custom transport)";
}

std::string Client::api_version() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!version_.empty()) return version_;
  }
  ping();
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

std::string Client::ping() {
  Request req;
  req.target = "/_ping";
  Response r = t_->send(req, nullptr, std::chrono::seconds(10));
  if (r.status != 200) throw Error(ErrorKind::Unavailable, "the Docker engine answered /_ping with HTTP " + std::to_string(r.status));
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string server = r.header("Api-Version");
    if (version_.empty()) version_ = server.empty() ? "1.41" : min_version(kMaxApiVersion, server);
    // Podman's answer names its own API beside Docker's; Docker's does not (asking /version
    // instead cost a cold run ~8 ms: dockerd asks containerd and runc for theirs).
    flavor_ = r.header("Libpod-Api-Version").empty() ? Flavor::Docker : Flavor::Podman;
  }
  // "Server: Docker/20.10.24+dfsg1 (linux)"
  std::string server = r.header("Server");
  auto at = server.find("Docker/");
  if (at == std::string::npos) return "";
  at += 7;
  return server.substr(at, server.find(' ', at) - at);
}

std::string Client::versioned(const std::string& path) { return "/v" + api_version() + path; }

void Client::check(const Response& r, const std::string& what) {
  if (r.status >= 200 && r.status < 300) return;
  std::string msg;
  try {
    msg = json::parse(r.body).value("message", "");
  } catch (...) {
  }
  if (msg.empty()) msg = r.body;
  // An engine may quote the request back (Podman did with a whole seccomp profile): keep the start.
  if (msg.size() > 300) msg = msg.substr(0, 300) + "... (" + std::to_string(msg.size()) + " bytes)";
  std::string text = what + ": " + msg;
  Reason reason = reason_for(r.status, msg);
  switch (r.status) {
    case 400: throw Error(ErrorKind::BadInput, text, reason);
    case 404: throw Error(ErrorKind::NotFound, text, reason);
    case 409: throw Error(ErrorKind::Conflict, text, reason);
    default: throw Error(ErrorKind::Infrastructure, text + " (HTTP " + std::to_string(r.status) + ")", reason);
  }
}

// The one place that reads the engine's words: the answer's status and message become a Reason.
Reason reason_for(int status, const std::string& message) {
  auto says = [&message](const char* words) { return message.find(words) != std::string::npos; };
  if (status == 404) return says("No such image") ? Reason::ImageMissing : Reason::NotFound;
  if (status == 409 && (says("is not running") || says("is paused") || says("is restarting"))) return Reason::NotRunning;
  if (status == 409 && says("already in use")) return Reason::NameInUse;
  if (says("nknown runtime")) return Reason::UnknownRuntime;
  if (says("mount")) return Reason::MountRefused;
  return Reason::Unspecified;
}

Response Client::call(const std::string& method, const std::string& path, const std::string& body,
                      const std::string& content_type, std::chrono::milliseconds timeout) {
  Request req;
  req.method = method;
  req.target = versioned(path);
  req.body = body;
  if (!body.empty()) req.content_type = content_type;
  return t_->send(req, nullptr, timeout);
}

json Client::version() {
  auto r = call("GET", "/version");
  check(r, "version");
  return json::parse(r.body);
}

Flavor Client::flavor() {
  api_version();  // the first ping tells
  std::lock_guard<std::mutex> lock(mu_);
  return flavor_.value_or(Flavor::Docker);
}

json Client::info() {
  auto r = call("GET", "/info");
  check(r, "info");
  return json::parse(r.body);
}

std::string Client::create_container(const json& body, const std::string& name) {
  auto r = call("POST", "/containers/create" + (name.empty() ? "" : "?name=" + url_encode(name)), body.dump());
  if (r.status == 404) {
    throw Error(ErrorKind::NotFound, "image " + body.value("Image", std::string("?")) + " is not on the engine", Reason::ImageMissing);
  }
  check(r, "create container");
  return json::parse(r.body).at("Id").get<std::string>();
}

void Client::start(const std::string& id) {
  auto r = call("POST", "/containers/" + id + "/start");
  if (r.status == 304) return;
  check(r, "start container");
}

AttachedStream Client::attach(const std::string& id, bool with_stdin) {
  Request req;
  req.method = "POST";
  req.target = versioned("/containers/" + id + "/attach?stream=1&stdout=1&stderr=1" + (with_stdin ? "&stdin=1" : ""));
  ResponseHead head;
  auto conn = t_->upgrade(req, head);
  if (head.status != 101 && head.status != 200) {
    Response r;
    static_cast<ResponseHead&>(r) = head;
    read_body(*conn, head, req.method, [&r](std::string_view d) { r.body.append(d); return r.body.size() < 4096; },
              Clock::now() + std::chrono::seconds(5));
    check(r, "attach");
  }
  return AttachedStream{std::move(conn), false};
}

PendingWait Client::wait_next_exit(const std::string& id) {
  Request req;
  req.method = "POST";
  req.target = versioned("/containers/" + id + "/wait?condition=next-exit");
  ResponseHead head;
  auto conn = t_->open(req, head);
  return PendingWait(std::move(conn), std::move(head));
}

int64_t PendingWait::result(std::chrono::milliseconds timeout) {
  std::string body;
  read_body(*conn_, head_, "POST", [&body](std::string_view d) { body.append(d); return body.size() < 65536; },
            Clock::now() + timeout);
  if (head_.status != 200) throw Error(ErrorKind::Infrastructure, "wait failed: " + body.substr(0, 200));
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) throw Error(ErrorKind::Infrastructure, "wait: malformed answer from the engine");
  if (j.contains("Error") && j["Error"].is_object() && !j["Error"].value("Message", "").empty())
    throw Error(ErrorKind::Infrastructure, "wait: " + j["Error"].value("Message", ""));
  return j.value("StatusCode", int64_t{-1});
}

void Client::kill(const std::string& id, const std::string& signal) {
  auto r = call("POST", "/containers/" + id + "/kill?signal=" + signal);
  if (r.status == 404 || r.status == 409) return;  // gone or not running: nothing to kill
  check(r, "kill container");
}

void Client::remove(const std::string& id) {
  auto r = call("DELETE", "/containers/" + id + "?force=1&v=1");
  if (r.status == 404) return;
  if (r.status == 409 && r.body.find("already in progress") != std::string::npos) return;
  check(r, "remove container");
}

json Client::inspect(const std::string& id) {
  auto r = call("GET", "/containers/" + id + "/json");
  check(r, "inspect container " + id.substr(0, 12));
  return json::parse(r.body);
}

json Client::stats(const std::string& id) {
  // A loaded engine has answered 200 with a body that is not a stats object: asked once more.
  for (int attempt = 0;; ++attempt) {
    auto r = call("GET", "/containers/" + id + "/stats?stream=false", "", "application/json", std::chrono::seconds(30));
    check(r, "stats of container " + id.substr(0, 12));
    json j = json::parse(r.body, nullptr, false);
    if (j.is_object()) return j;
    if (attempt == 1)
      throw Error(ErrorKind::Infrastructure, "stats of container " + id.substr(0, 12) + ": the engine's answer is not a stats object (" +
                                                 std::to_string(r.body.size()) + " bytes)");
  }
}

std::optional<json> Client::try_inspect(const std::string& id) {
  auto r = call("GET", "/containers/" + id + "/json");
  if (r.status == 404) return std::nullopt;
  check(r, "inspect container");
  return json::parse(r.body);
}

json Client::list_containers(const std::vector<std::string>& label_filters, bool all) {
  json filters = json::object();
  if (!label_filters.empty()) filters["label"] = label_filters;
  auto r = call("GET", std::string("/containers/json?all=") + (all ? "1" : "0") + "&filters=" + url_encode(filters.dump()));
  check(r, "list containers");
  return json::parse(r.body);
}

void Client::rename(const std::string& id, const std::string& new_name) {
  auto r = call("POST", "/containers/" + id + "/rename?name=" + url_encode(new_name));
  check(r, "rename container");
}

std::string Client::exec_create(const std::string& id, const ExecOptions& opts) {
  json body = {{"AttachStdin", opts.attach_stdin}, {"AttachStdout", true}, {"AttachStderr", true},
               {"Tty", false}, {"Cmd", opts.cmd}};
  if (!opts.env.empty()) body["Env"] = opts.env;
  if (!opts.user.empty()) body["User"] = opts.user;
  if (!opts.workdir.empty()) body["WorkingDir"] = opts.workdir;
  auto r = call("POST", "/containers/" + id + "/exec", body.dump(), "application/json", opts.engine_timeout);
  check(r, "exec");
  return json::parse(r.body).at("Id").get<std::string>();
}

AttachedStream Client::exec_start(const std::string& exec_id, std::chrono::milliseconds timeout) {
  Request req;
  req.method = "POST";
  req.target = versioned("/exec/" + exec_id + "/start");
  req.body = R"({"Detach":false,"Tty":false})";
  req.content_type = "application/json";
  ResponseHead head;
  auto conn = t_->upgrade(req, head, timeout);
  if (head.status != 101 && head.status != 200) {
    Response r;
    static_cast<ResponseHead&>(r) = head;
    read_body(*conn, head, "POST", [&r](std::string_view d) { r.body.append(d); return r.body.size() < 4096; },
              Clock::now() + std::chrono::seconds(5));
    check(r, "exec start");
  }
  return AttachedStream{std::move(conn), false};
}

json Client::exec_inspect(const std::string& exec_id, std::chrono::milliseconds timeout) {
  auto r = call("GET", "/exec/" + exec_id + "/json", "", "application/json", timeout);
  check(r, "exec inspect");
  return json::parse(r.body);
}

std::optional<json> Client::inspect_image(const std::string& name) {
  auto r = call("GET", "/images/" + url_encode(name) + "/json");
  if (r.status == 404) return std::nullopt;
  check(r, "inspect image");
  return json::parse(r.body);
}

namespace {

// The build and pull endpoints stream one JSON object after another; split them as they arrive.
struct JsonStreamSplitter {
  std::string pending;
  std::function<void(const json&)> on_object;
  bool feed(std::string_view d) {
    pending.append(d);
    size_t start = 0;
    for (;;) {
      size_t nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      std::string_view line(pending.data() + start, nl - start);
      start = nl + 1;
      if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded()) on_object(j);
    }
    pending.erase(0, start);
    return true;
  }
};

}  // namespace

void Client::build_image(const std::string& context_tar, const std::string& tag,
                         const std::map<std::string, std::string>& labels,
                         const std::function<void(const json&)>& on_progress) {
  Request req;
  req.method = "POST";
  json jl = labels;
  req.target = versioned("/build?t=" + url_encode(tag) + "&rm=1&forcerm=1&labels=" + url_encode(jl.dump()));
  req.body = context_tar;
  req.content_type = "application/x-tar";
  std::string error;
  JsonStreamSplitter split;
  split.on_object = [&](const json& j) {
    if (j.contains("error")) error = j.value("error", "");
    on_progress(j);
  };
  BodySink sink = [&split](std::string_view d) { return split.feed(d); };
  auto r = t_->send(req, &sink, std::chrono::hours(2));
  check(r, "build " + tag);
  if (!error.empty()) throw Error(ErrorKind::Infrastructure, "build of " + tag + " failed: " + error);
}

std::string Client::create_network(const std::string& name, bool internal, const std::map<std::string, std::string>& labels,
                                   const std::map<std::string, std::string>& options) {
  json body = {{"Name", name},           {"Driver", "bridge"}, {"Internal", internal},
               {"CheckDuplicate", true}, {"Labels", labels},   {"Options", options}};
  auto r = call("POST", "/networks/create", body.dump());
  check(r, "create network");
  return json::parse(r.body).at("Id").get<std::string>();
}

void Client::remove_network(const std::string& id) {
  auto r = call("DELETE", "/networks/" + id);
  if (r.status == 404) return;
  check(r, "remove network");
}

json Client::list_networks(const std::vector<std::string>& label_filters) {
  json filters = json::object();
  if (!label_filters.empty()) filters["label"] = label_filters;
  auto r = call("GET", "/networks?filters=" + url_encode(filters.dump()));
  check(r, "list networks");
  return json::parse(r.body);
}

void Client::create_volume(const std::string& name, const std::map<std::string, std::string>& labels) {
  json body = {{"Name", name}, {"Driver", "local"}, {"Labels", labels}};
  check(call("POST", "/volumes/create", body.dump()), "create volume");
}

std::optional<json> Client::inspect_volume(const std::string& name) {
  auto r = call("GET", "/volumes/" + url_encode(name));
  if (r.status == 404) return std::nullopt;
  check(r, "inspect volume");
  return json::parse(r.body);
}

void Client::remove_volume(const std::string& name) {
  auto r = call("DELETE", "/volumes/" + url_encode(name) + "?force=1");
  if (r.status == 404) return;
  check(r, "remove volume");
}

json Client::list_volumes(const std::vector<std::string>& label_filters) {
  json filters = json::object();
  if (!label_filters.empty()) filters["label"] = label_filters;
  auto r = call("GET", "/volumes?filters=" + url_encode(filters.dump()));
  check(r, "list volumes");
  json j = json::parse(r.body);
  return j.contains("Volumes") && j["Volumes"].is_array() ? j["Volumes"] : json::array();
}

std::unique_ptr<Conn> Client::events(const json& filters, ResponseHead& head) {
  Request req;
  req.target = versioned("/events?filters=" + url_encode(filters.dump()));
  return t_->open(req, head, std::chrono::seconds(10));
}

}  // namespace orch::docker
