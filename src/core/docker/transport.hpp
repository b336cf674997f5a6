#pragma once
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "core/docker/http.hpp"

namespace orch::docker {

// Sends requests to an engine. The seam between the Docker client and the wire: unit tests
// point a SocketTransport at an in-process fake daemon.
class Transport {
 public:
  virtual ~Transport() = default;
  // Sends a request and reads the whole answer. With a sink, the body streams into it instead.
  virtual Response send(const Request& req, const BodySink* sink = nullptr,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60)) = 0;
  // Sends a request asking to upgrade the connection; returns the head and the raw stream.
  virtual std::unique_ptr<Conn> upgrade(const Request& req, ResponseHead& head,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(30)) = 0;
  // Sends a request and returns as soon as the response head arrived; the body is read from the Conn.
  virtual std::unique_ptr<Conn> open(const Request& req, ResponseHead& head,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(30)) = 0;
};

class SocketTransport : public Transport {
 public:
  explicit SocketTransport(Endpoint ep) : ep_(std::move(ep)) {}
  Response send(const Request& req, const BodySink* sink, std::chrono::milliseconds timeout) override;
  std::unique_ptr<Conn> upgrade(const Request& req, ResponseHead& head, std::chrono::milliseconds timeout) override;
  std::unique_ptr<Conn> open(const Request& req, ResponseHead& head, std::chrono::milliseconds timeout) override;
  const Endpoint& endpoint() const { return ep_; }

 private:
  std::unique_ptr<Conn> take_idle();
  void give_back(std::unique_ptr<Conn> conn);
  std::unique_ptr<Conn> connect_new();

  Endpoint ep_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Conn>> idle_;
};

}  // namespace orch::docker
