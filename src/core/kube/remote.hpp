#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/kube/websocket.hpp"

namespace orch::kube {

// The subprotocols orch offers for pods/exec and pods/attach, best first. v5 adds closing stdin.
inline constexpr const char* kProtocolV5 = "v5.channel.k8s.io";
inline constexpr const char* kProtocolV4 = "v4.channel.k8s.io";

// Kubernetes' remote-command channels over one WebSocket: every message starts with its channel
// byte: 0 stdin, 1 stdout, 2 stderr, 3 the final status (a metav1.Status as JSON), 4 resize; v5
// adds 255, whose one-byte payload names a channel the client closes.
class RemoteStream {
 public:
  enum Channel : unsigned char { Stdin = 0, Stdout = 1, Stderr = 2, Status = 3, Resize = 4, CloseChannel = 255 };
  struct Chunk {
    Channel channel = Stdout;
    std::string data;
  };

  explicit RemoteStream(std::unique_ptr<WebSocket> ws) : ws_(std::move(ws)) {}
  ~RemoteStream();

  bool can_close_stdin() const { return ws_->protocol() == kProtocolV5; }
  const std::string& protocol() const { return ws_->protocol(); }
  void write_stdin(std::string_view data);
  // v5 only: the program sees EOF on stdin. Returns false on v4, where the protocol has no way to.
  bool close_stdin();
  void resize(int columns, int rows);
  // The next stdout or stderr bytes; nullopt when the stream ended (then exit_code() is known
  // when the server sent a status).
  std::optional<Chunk> next(Clock::time_point deadline = Clock::time_point::max());
  std::optional<int> exit_code() const { return exit_code_; }
  // Why the server ended the stream when it was not the program's exit ("" otherwise).
  const std::string& failure() const { return failure_; }
  void close() { ws_->close(); }
  WebSocket& socket() { return *ws_; }
  const WebSocket& socket() const { return *ws_; }

 private:
  std::unique_ptr<WebSocket> ws_;
  std::optional<int> exit_code_;
  std::string failure_;
};

// Reads a channel-3 status: 0 for Success, the exit code for NonZeroExitCode; any other failure
// leaves nullopt and its message in `failure`.
std::optional<int> exit_code_from_status(const nlohmann::json& status, std::string& failure);

}  // namespace orch::kube
