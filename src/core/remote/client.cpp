#include "core/remote/client.hpp"

#include <httplib.h>
#include <unistd.h>

#include <cstdlib>

#include "core/error.hpp"
#include "core/remote/http.hpp"
#include "core/util/base64.hpp"

namespace orch::remote {

using nlohmann::json;

ServerAddress parse_server(const std::string& url, const std::string& token) {
  ServerAddress s;
  s.token = token;
  auto sep = url.find("://");
  if (sep == std::string::npos) throw Error(ErrorKind::BadInput, "ORCH_HOST '" + url + "' must look like http://host:port");
  s.scheme = url.substr(0, sep);
  if (s.scheme != "http" && s.scheme != "https") throw Error(ErrorKind::BadInput, "ORCH_HOST must be http:// or https://");
  std::string rest = url.substr(sep + 3);
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  bool bracketed = !rest.empty() && rest.front() == '[';
  size_t close = rest.find(']');
  size_t colon = bracketed ? (close == std::string::npos ? std::string::npos : rest.find(':', close)) : rest.rfind(':');
  if (colon != std::string::npos) {
    s.host = rest.substr(0, colon);
    s.port = std::atoi(rest.c_str() + colon + 1);
  } else {
    s.host = rest;
    s.port = s.scheme == "https" ? 443 : 80;
  }
  if (s.host.size() > 2 && s.host.front() == '[') s.host = s.host.substr(1, s.host.size() - 2);
  if (s.host.empty() || s.port <= 0 || s.port > 65535) throw Error(ErrorKind::BadInput, "ORCH_HOST '" + url + "' has no valid host:port");
  return s;
}

std::optional<ServerAddress> server_from_env() {
  const char* h = std::getenv("ORCH_HOST");
  if (!h || !*h) return std::nullopt;
  const char* t = std::getenv("ORCH_TOKEN");
  return parse_server(h, t ? t : "");
}

json run_request_json(const sandbox::RunOptions& o) {
  json j = {{"code", o.code}};
  if (!o.language.empty()) j["language"] = o.language;
  if (!o.template_name.empty()) j["template"] = o.template_name;
  if (!o.code_name.empty() && o.language.empty()) {
    // The server picks the language by the file name of the first file, as Piston clients send it.
    j.erase("code");
    j["files"] = json::array({{{"name", o.code_name}, {"content", base64_encode(o.code)}, {"encoding", "base64"}}});
  }
  for (const auto& f : o.files) {
    if (!j.contains("files")) j["files"] = json::array();
    j["files"].push_back({{"name", f.path}, {"content", base64_encode(f.data)}, {"encoding", "base64"}});
  }
  if (!o.stdin_data.empty()) j["stdin"] = o.stdin_data;
  if (!o.args.empty()) j["args"] = o.args;
  if (!o.env.empty()) {
    json env = json::object();
    for (const auto& kv : o.env) env[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
    j["env"] = env;
  }
  if (o.timeout_s) j["timeout"] = *o.timeout_s;
  if (o.memory_bytes) j["memory"] = *o.memory_bytes;
  if (o.cpus) j["cpus"] = *o.cpus;
  if (o.pids) j["pids"] = *o.pids;
  if (o.network) j["network"] = *o.network;
  if (o.runtime) j["runtime"] = *o.runtime;  // the server refuses one that is not its own
  if (o.collect_out) j["out"] = true;
  if (!o.with.empty()) j["with"] = o.with;
  j["output_limit"] = o.output_cap;
  return j;
}

sandbox::RunResult result_from_json(const json& j) {
  sandbox::RunResult r;
  r.run_id = j.value("run_id", "");
  r.status = sandbox::parse_status(j.value("status", "")).value_or(sandbox::RunStatus::Error);
  r.exit_code = j.value("exit_code", 125);
  // The text fields carry U+FFFD for bytes that are not UTF-8; the exact bytes travel as base64.
  r.stdout_data = base64_decode(j.value("stdout_base64", "")).value_or("");
  if (!j.contains("stdout_base64")) r.stdout_data = j.value("stdout", "");
  r.stderr_data = base64_decode(j.value("stderr_base64", "")).value_or("");
  if (!j.contains("stderr_base64")) r.stderr_data = j.value("stderr", "");
  r.stdout_truncated = j.value("stdout_truncated", false);
  r.stderr_truncated = j.value("stderr_truncated", false);
  r.duration_ms = j.value("duration_ms", int64_t{0});
  r.artifacts_truncated = j.value("artifacts_truncated", false);
  for (const auto& a : j.value("artifacts", json::array())) {
    auto data = base64_decode(a.value("content_base64", ""));
    r.artifacts.push_back(sandbox::Artifact{a.value("path", ""), data.value_or(""), a.value("mime", "")});
  }
  for (const auto& a : j.value("artifacts_skipped", json::array()))
    r.artifacts_skipped.push_back(sandbox::SkippedArtifact{a.value("path", ""), a.value("reason", "")});
  return r;
}

sandbox::RunResult run(const ServerAddress& server, const sandbox::RunOptions& opts, sandbox::Observer& observer) {
  sandbox::RunOptions sent = opts;
  if (opts.stdin_fd >= 0) {  // the server takes stdin whole: read ours up to a sane cap
    std::string in;
    char buf[65536];
    for (ssize_t n; (n = ::read(opts.stdin_fd, buf, sizeof buf)) > 0;) {
      in.append(buf, static_cast<size_t>(n));
      if (in.size() > (16u << 20)) throw Error(ErrorKind::BadInput, "stdin over 16 MiB cannot be sent to a server");
    }
    sent.stdin_data += in;
  }
  std::string body = run_request_json(sent).dump();

  auto result = post_sse(server, "/v1/run", body, opts.timeout_s.value_or(300) + 60, observer);
  if (result) return result_from_json(*result);
  sandbox::RunResult r;  // cancelled: the server sees the stream close and removes the sandbox
  r.status = sandbox::RunStatus::Cancelled;
  return r;
}

}  // namespace orch::remote
