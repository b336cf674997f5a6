#include "core/remote/http.hpp"

#include "core/error.hpp"
#include "core/util/base64.hpp"

namespace orch::remote {

std::string base_url(const ServerAddress& s) {
  std::string host = s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host;
  return s.scheme + "://" + host + ":" + std::to_string(s.port);
}

std::unique_ptr<httplib::Client> make_client(const ServerAddress& s, double read_timeout_s) {
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  if (s.scheme == "https") throw Error(ErrorKind::BadInput, "this orch was built without TLS; use http:// for ORCH_HOST");
#endif
  auto cli = std::make_unique<httplib::Client>(base_url(s));
  cli->set_connection_timeout(5, 0);
  cli->set_read_timeout(static_cast<time_t>(read_timeout_s), 0);
  cli->set_write_timeout(60, 0);
  cli->set_tcp_nodelay(true);  // a request's headers and body are separate writes
  return cli;
}

httplib::Headers auth_headers(const ServerAddress& s) {
  httplib::Headers h;
  if (!s.token.empty()) h.emplace("Authorization", "Bearer " + s.token);
  return h;
}

void throw_for(int status, const std::string& body, const ServerAddress& s) {
  nlohmann::json e = nlohmann::json::parse(body, nullptr, false);
  bool structured = e.is_object() && e.contains("error") && e["error"].is_object();
  std::string msg = structured ? e["error"].value("message", body) : body;
  std::string code = structured ? e["error"].value("code", "") : "";
  ErrorKind kind = ErrorKind::Infrastructure;
  if (status == 400 || code == "bad_input") kind = ErrorKind::BadInput;
  else if (status == 401) kind = ErrorKind::BadInput, msg = "the server refused the token (set ORCH_TOKEN): " + msg;
  else if (status == 404) kind = ErrorKind::NotFound;
  else if (status == 409) kind = ErrorKind::Conflict;
  else if (status == 413) kind = ErrorKind::BadInput;
  else if (status == 429) kind = ErrorKind::Busy;
  else if (status == 503) kind = ErrorKind::Unavailable;
  else if (status == 504) kind = ErrorKind::Timeout;
  throw Error(kind, "server " + base_url(s) + ": " + (msg.empty() ? "HTTP " + std::to_string(status) : msg));
}

void unreachable(const ServerAddress& s, httplib::Error err) {
  throw Error(ErrorKind::Unavailable, "cannot reach the orch server at " + base_url(s) + ": " + httplib::to_string(err) +
                                          " (is `orch serve` running? check ORCH_HOST)");
}

std::optional<nlohmann::json> post_sse(const ServerAddress& s, const std::string& path, const std::string& body,
                                       double read_timeout_s, sandbox::Observer& obs) {
  auto cli = make_client(s, read_timeout_s);
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = auth_headers(s);
  req.set_header("Accept", "text/event-stream");
  req.set_header("Content-Type", "application/json");
  req.body = body;
  int status = 0;
  std::string error_body;
  std::optional<nlohmann::json> result;
  SseParser parser;
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* d, size_t n, uint64_t, uint64_t) {
    if (status != 200) {
      error_body.append(d, n);
      return error_body.size() < 65536;
    }
    parser.feed(d, n, [&](const std::string& ev, const std::string& data) {
      nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
      if (j.is_discarded()) return;
      if (ev == "stdout" || ev == "stderr") {
        std::string bytes = j.contains("data_base64") ? base64_decode(j.value("data_base64", "")).value_or("") : j.value("data", "");
        obs.on_output(ev == "stderr", bytes);
      }
      if (ev == "result") result = j;
      if (ev == "error") error_body = j.dump();
    });
    return !obs.cancelled();
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  if (!cli->send(req, res, err) && status == 0) unreachable(s, err);
  if (result) return result;
  if (obs.cancelled()) return std::nullopt;
  throw_for(status == 200 ? 500 : status, error_body, s);
}

}  // namespace orch::remote
