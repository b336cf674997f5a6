#include "core/docker/transport.hpp"

#include "core/error.hpp"

namespace orch::docker {

namespace {
constexpr size_t kMaxIdle = 16;
constexpr auto kConnectTimeout = std::chrono::seconds(5);

std::string host_header(const Endpoint& ep) {
  return ep.kind == Endpoint::Kind::Unix ? "docker" : ep.host + ":" + std::to_string(ep.port);
}
}  // namespace

std::unique_ptr<Conn> SocketTransport::take_idle() {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.empty()) return nullptr;
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return c;
}

void SocketTransport::give_back(std::unique_ptr<Conn> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(conn));
}

std::unique_ptr<Conn> SocketTransport::connect_new() {
  return std::make_unique<Conn>(connect_endpoint(ep_, kConnectTimeout));
}

Response SocketTransport::send(const Request& req, const BodySink* sink, std::chrono::milliseconds timeout) {
  const std::string wire = serialize_request(req, host_header(ep_), false);
  auto deadline = Clock::now() + timeout;
  // A pooled connection may have been closed by the engine while idle: retry once on a fresh one
  // when nothing of the answer arrived.
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Conn> conn = attempt == 0 ? take_idle() : nullptr;
    bool reused = conn != nullptr;
    if (!conn) conn = connect_new();
    Response resp;
    try {
      conn->write_all(wire);
      static_cast<ResponseHead&>(resp) = read_response_head(*conn, deadline);
    } catch (const Error& e) {
      if (reused && e.kind() == ErrorKind::Unavailable) continue;
      throw;
    }
    BodySink collect = [&resp](std::string_view d) {
      resp.body.append(d);
      return true;
    };
    bool reusable = read_body(*conn, resp, req.method, sink && resp.status < 300 ? *sink : collect, deadline);
    if (reusable && resp.header("Connection") != "close") give_back(std::move(conn));
    return resp;
  }
}

std::unique_ptr<Conn> SocketTransport::upgrade(const Request& req, ResponseHead& head,
                                               std::chrono::milliseconds timeout) {
  auto conn = connect_new();
  conn->write_all(serialize_request(req, host_header(ep_), true));
  head = read_response_head(*conn, Clock::now() + timeout);
  return conn;
}

std::unique_ptr<Conn> SocketTransport::open(const Request& req, ResponseHead& head, std::chrono::milliseconds timeout) {
  auto conn = connect_new();
  conn->write_all(serialize_request(req, host_header(ep_), false));
  head = read_response_head(*conn, Clock::now() + timeout);
  return conn;
}

}  // namespace orch::docker
