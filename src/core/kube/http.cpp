#include "core/kube/http.hpp"

#include <strings.h>

#include "core/docker/http.hpp"
#include "core/error.hpp"

namespace orch::kube {

std::string Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  return "";
}

std::string serialize(const Request& req, const std::string& host) {
  std::string out = req.method + " " + req.target + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: orch\r\n";
  for (const auto& [k, v] : req.headers) out += k + ": " + v + "\r\n";
  if (!req.content_type.empty()) out += "Content-Type: " + req.content_type + "\r\n";
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH")
    out += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
  out += "\r\n";
  out += req.body;
  return out;
}

Response read_head(Stream& s, Clock::time_point deadline) {
  Response r;
  std::string status = s.read_line(deadline);
  if (status.rfind("HTTP/1.", 0) != 0 || status.size() < 12)
    throw Error(ErrorKind::Infrastructure, "the Kubernetes API server sent a malformed status line: " + status.substr(0, 80));
  r.status = std::atoi(status.c_str() + 9);
  for (int i = 0; i < 200; ++i) {
    std::string line = s.read_line(deadline);
    if (line.empty()) return r;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers.emplace_back(line.substr(0, colon), value);
  }
  throw Error(ErrorKind::Infrastructure, "the Kubernetes API server sent too many headers");
}

bool read_body(Stream& s, Response& r, const std::string& method, const BodySink* sink, Clock::time_point deadline,
               size_t max_bytes) {
  size_t total = 0;
  bool stopped = false;
  docker::BodySink deliver = [&](std::string_view data) {
    total += data.size();
    if (sink) {
      if (!(*sink)(data)) stopped = true;
    } else {
      if (total > max_bytes) throw Error(ErrorKind::Infrastructure, "the Kubernetes API server's answer is too large");
      r.body.append(data);
    }
    return !stopped;
  };
  if (method == "HEAD" || r.status == 204 || r.status == 304 || r.status / 100 == 1) return true;
  char buf[65536];
  std::string te = r.header("Transfer-Encoding");
  if (te.find("chunked") != std::string::npos) {
    docker::ChunkedDecoder dec;
    while (!dec.done()) {
      size_t n = s.read_some(buf, sizeof buf, deadline);
      if (n == 0) throw Error(ErrorKind::Unavailable, "the Kubernetes API server closed the connection mid-answer");
      if (!dec.feed(std::string_view(buf, n), deliver))
        throw Error(ErrorKind::Infrastructure, "the Kubernetes API server sent malformed chunked data");
      if (stopped || dec.stopped()) return false;
    }
    return true;
  }
  std::string cl = r.header("Content-Length");
  if (!cl.empty()) {
    size_t left = std::stoull(cl);
    while (left > 0) {
      size_t n = s.read_some(buf, std::min(left, sizeof buf), deadline);
      if (n == 0) throw Error(ErrorKind::Unavailable, "the Kubernetes API server closed the connection mid-answer");
      left -= n;
      deliver(std::string_view(buf, n));
      if (stopped) return false;
    }
    return true;
  }
  for (;;) {
    size_t n = s.read_some(buf, sizeof buf, deadline);
    if (n == 0) return false;
    deliver(std::string_view(buf, n));
    if (stopped) return false;
  }
}

}  // namespace orch::kube
