#include "core/remote/sessions.hpp"

#include "core/error.hpp"
#include "core/remote/http.hpp"
#include "core/util/base64.hpp"

namespace orch::remote {

using nlohmann::json;

namespace {

std::string path_of(const std::string& id, const std::string& rest = "") {
  return "/v1/sessions/" + httplib::detail::encode_url(id) + rest;
}

bool binary_mime(const std::string& mime) { return mime.rfind("image/", 0) == 0 && mime != "image/svg+xml"; }

}  // namespace

session::Record record_from_json(const json& j) {
  session::Record r;
  r.id = j.value("id", "");
  r.name = j.value("name", "");
  r.container_id = j.value("container_id", "");
  r.template_name = j.value("template", "");
  r.owner = j.value("owner", "");
  r.network = j.value("network", "");
  r.state = j.value("state", "");
  r.created = j.value("created", int64_t{0});
  r.expires = j.value("expires", int64_t{0});
  r.labels = j.value("labels", std::map<std::string, std::string>{});
  for (const auto& s : j.value("services", json::array())) r.services.push_back(session::service_from_json(s));
  return r;
}

session::ExecResult exec_result_from_json(const json& j) {
  session::ExecResult r;
  r.session_id = j.value("session_id", "");
  r.language = j.value("language", "");
  r.status = session::parse_exec_status(j.value("status", "")).value_or(session::ExecStatus::Error);
  r.exit_code = j.value("exit_code", 1);
  r.stdout_data = j.value("stdout", "");
  r.stderr_data = j.value("stderr", "");
  r.stdout_truncated = j.value("stdout_truncated", false);
  r.stderr_truncated = j.value("stderr_truncated", false);
  if (j.contains("error") && j["error"].is_object())
    r.error = session::ExecError{j["error"].value("name", ""), j["error"].value("value", ""), j["error"].value("traceback", "")};
  for (const auto& d : j.value("displays", json::array())) {
    session::Display disp;
    disp.main = d.value("main", false);
    json data = d.value("data", json::object());  // items() of a temporary would dangle
    for (const auto& [mime, v] : data.items())
      disp.data[mime] = binary_mime(mime) ? base64_decode(v.get<std::string>()).value_or("") : v.get<std::string>();
    r.displays.push_back(std::move(disp));
  }
  for (const auto& a : j.value("artifacts", json::array()))
    r.artifacts.push_back(session::Artifact{a.value("name", ""), a.value("mime", ""),
                                            base64_decode(a.value("content_base64", "")).value_or("")});
  r.state_lost = j.value("state_lost", false);
  r.execution_count = j.value("execution_count", int64_t{0});
  r.duration_ms = j.value("duration_ms", int64_t{0});
  return r;
}

json SessionClient::call(const std::string& method, const std::string& path, const std::string& body) {
  auto cli = make_client(s_, 120);
  auto headers = auth_headers(s_);
  httplib::Result res = method == "GET"      ? cli->Get(path.c_str(), headers)
                        : method == "DELETE" ? cli->Delete(path.c_str(), headers)
                                             : cli->Post(path.c_str(), headers, body, "application/json");
  if (!res) unreachable(s_, res.error());
  if (res->status >= 300) throw_for(res->status, res->body, s_);
  if (res->body.empty()) return json();
  return json::parse(res->body, nullptr, false);
}

session::Record SessionClient::create(const session::CreateOptions& o) {
  json b = {{"template", o.template_name}, {"ttl", o.ttl_s}, {"network", o.network}};
  if (!o.name.empty()) b["name"] = o.name;
  if (o.memory_bytes) b["memory"] = *o.memory_bytes;
  if (o.cpus) b["cpus"] = *o.cpus;
  if (!o.labels.empty()) b["labels"] = o.labels;
  if (!o.with.empty()) b["with"] = o.with;
  return record_from_json(call("POST", "/v1/sessions", b.dump()));
}

std::vector<session::Record> SessionClient::list(const session::Owner&) {
  std::vector<session::Record> out;
  for (const auto& j : call("GET", "/v1/sessions").value("sessions", json::array())) out.push_back(record_from_json(j));
  return out;
}

session::Record SessionClient::get(const std::string& id, const session::Owner&) {
  return record_from_json(call("GET", path_of(id)));
}

void SessionClient::remove(const std::string& id, const session::Owner&) { call("DELETE", path_of(id)); }

session::Record SessionClient::extend(const std::string& id, int64_t ttl_s, const session::Owner&) {
  return record_from_json(call("POST", path_of(id, "/extend"), json({{"ttl", ttl_s}}).dump()));
}

session::ExecResult SessionClient::exec(const std::string& id, const session::ExecRequest& req, session::ExecObserver& obs,
                                        const session::Owner&) {
  json b = {{"code", req.code}, {"output_limit", req.output_cap}};
  if (!req.language.empty()) b["language"] = req.language;
  if (req.timeout_s) b["timeout"] = *req.timeout_s;
  auto j = post_sse(s_, path_of(id, "/exec"), b.dump(), req.timeout_s.value_or(600) + 60, obs);
  if (j) {
    session::ExecResult result = exec_result_from_json(*j);
    for (const auto& d : result.displays) obs.on_display(d);
    return result;
  }
  session::ExecResult r;  // cancelled: post_sse has no result only then
  r.status = session::ExecStatus::Cancelled;
  r.exit_code = 130;
  return r;
}

void SessionClient::upload(const std::string& id, const std::string& path, const std::string& data, const session::Owner&,
                           bool executable) {
  auto cli = make_client(s_, 300);
  std::string target = path_of(id, "/files?path=" + httplib::detail::encode_url(path) + (executable ? "&executable=1" : ""));
  auto res = cli->Put(target.c_str(), auth_headers(s_), data, "application/octet-stream");
  if (!res) unreachable(s_, res.error());
  if (res->status >= 300) throw_for(res->status, res->body, s_);
}

std::string SessionClient::download(const std::string& id, const std::string& path, size_t cap, const session::Owner&) {
  auto cli = make_client(s_, 300);
  auto res = cli->Get(path_of(id, "/files?path=" + httplib::detail::encode_url(path)).c_str(), auth_headers(s_));
  if (!res) unreachable(s_, res.error());
  if (res->status >= 300) throw_for(res->status, res->body, s_);
  if (res->body.size() > cap) throw Error(ErrorKind::BadInput, "'" + path + "' is larger than the download limit");
  return res->body;
}

std::vector<session::FileEntry> SessionClient::files(const std::string& id, const std::string& dir, bool recursive,
                                                     const session::Owner&) {
  std::vector<session::FileEntry> out;
  json j = call("GET", path_of(id, "/files?dir=" + httplib::detail::encode_url(dir) + (recursive ? "&recursive=1" : "")));
  for (const auto& e : j.value("files", json::array()))
    out.push_back(session::FileEntry{e.value("path", ""), e.value("type", ""), e.value("size", int64_t{0}), e.value("mtime", 0.0)});
  return out;
}

session::ServiceInfo SessionClient::add_service(const std::string& id, const session::ServiceOptions& o, const session::Owner&) {
  json b = {{"image", o.image}, {"memory", o.memory_bytes}, {"cpus", o.cpus}, {"startup_timeout", o.startup_timeout_s}};
  if (!o.name.empty()) b["name"] = o.name;
  if (o.port) b["port"] = o.port;
  if (!o.health_path.empty()) b["health"] = o.health_path;
  if (!o.cmd.empty()) b["cmd"] = o.cmd;
  if (!o.env.empty()) b["env"] = o.env;
  return session::service_from_json(call("POST", path_of(id, "/services"), b.dump()));
}

void SessionClient::remove_service(const std::string& id, const std::string& name, const session::Owner&) {
  call("DELETE", path_of(id, "/services/" + httplib::detail::encode_url(name)));
}

std::vector<sandbox::Usage> SessionClient::stats(const std::string& id, const session::Owner&) {
  std::vector<sandbox::Usage> out;
  for (const auto& u : call("GET", path_of(id, "/stats")).value("sandboxes", json::array())) out.push_back(sandbox::usage_from_json(u));
  return out;
}

session::GcResult SessionClient::gc() {
  throw Error(ErrorKind::BadInput, "the server collects its own sessions: unset ORCH_HOST to run 'orch session gc'");
}

}  // namespace orch::remote
