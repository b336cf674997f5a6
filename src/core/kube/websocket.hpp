#pragma once
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/kube/stream.hpp"

namespace orch::kube {

// RFC 6455 as a client: frames we send are masked; fragments are joined into messages; pings are
// answered; a close is answered and ends the stream. One thread may send while another receives.
class WebSocket {
 public:
  enum Opcode : unsigned char { Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10 };
  struct Message {
    Opcode opcode = Binary;
    std::string data;
  };

  WebSocket(std::unique_ptr<Stream> stream, std::string protocol, size_t max_message = 16 << 20)
      : stream_(std::move(stream)), protocol_(std::move(protocol)), max_message_(max_message) {}

  const std::string& protocol() const { return protocol_; }
  void send(Opcode op, std::string_view payload);
  // The next text or binary message; nullopt once the peer closed (or the connection ended).
  // Throws orch::Error(Timeout) when the deadline passes before a frame begins; a frame once begun
  // is read whole, so a later call picks up where this one stopped.
  std::optional<Message> receive(Clock::time_point deadline);
  Stream& stream() { return *stream_; }
  const Stream& stream() const { return *stream_; }
  // Sends a close frame (once); the peer's answer ends receive().
  void close(unsigned short code = 1000);
  bool closed_by_peer() const { return peer_closed_; }
  unsigned short close_code() const { return close_code_; }

 private:
  std::unique_ptr<Stream> stream_;
  std::string protocol_;
  size_t max_message_;
  std::mutex send_mu_;
  Message partial_;  // a fragmented message so far
  bool in_message_ = false;
  bool close_sent_ = false;
  bool peer_closed_ = false;
  unsigned short close_code_ = 0;
};

// One frame as a client sends it: FIN set, masked with `mask` (4 bytes).
std::string encode_frame(WebSocket::Opcode op, std::string_view payload, const unsigned char mask[4], bool fin = true);
// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string websocket_accept(const std::string& key);
std::string websocket_key();  // 16 random bytes, base64

}  // namespace orch::kube
