#include "core/kube/websocket.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/util/base64.hpp"

namespace orch::kube {

namespace {

[[noreturn]] void protocol_error(const std::string& what) {
  throw Error(ErrorKind::Infrastructure, "the Kubernetes API server broke the WebSocket protocol: " + what);
}

}  // namespace

std::string encode_frame(WebSocket::Opcode op, std::string_view payload, const unsigned char mask[4], bool fin) {
  std::string f;
  f.reserve(payload.size() + 14);
  f += static_cast<char>((fin ? 0x80 : 0) | op);
  size_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xFF);
  } else {
    f += static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((static_cast<uint64_t>(n) >> (8 * i)) & 0xFF);
  }
  f.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
  return f;
}

std::string websocket_accept(const std::string& key) {
  std::string in = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string websocket_key() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) throw Error(ErrorKind::Infrastructure, "no random bytes for a WebSocket key");
  return base64_encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

void WebSocket::send(Opcode op, std::string_view payload) {
  unsigned char mask[4];
  if (RAND_bytes(mask, sizeof mask) != 1) throw Error(ErrorKind::Infrastructure, "no random bytes for a WebSocket mask");
  std::string frame = encode_frame(op, payload, mask);
  std::lock_guard<std::mutex> lock(send_mu_);
  if (close_sent_) return;
  if (op == Close) close_sent_ = true;
  stream_->write_all(frame);
}

void WebSocket::close(unsigned short code) {
  std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  try {
    send(Close, payload);
  } catch (const Error&) {
    // The connection is already gone: nothing left to close.
  }
}

std::optional<WebSocket::Message> WebSocket::receive(Clock::time_point deadline) {
  while (!peer_closed_) {
    char first[2];
    if (stream_->read_some(first, 1, deadline) == 0) {
      if (in_message_) protocol_error("the connection ended inside a message");
      peer_closed_ = true;
      return std::nullopt;
    }
    // The frame has begun: read the rest of it however long the caller meant to wait.
    auto frame_deadline = std::max(deadline, Clock::now() + std::chrono::seconds(30));
    if (stream_->read_some(first + 1, 1, frame_deadline) == 0) protocol_error("the connection ended inside a frame");
    auto b0 = static_cast<unsigned char>(first[0]), b1 = static_cast<unsigned char>(first[1]);
    bool fin = b0 & 0x80;
    auto op = static_cast<Opcode>(b0 & 0x0F);
    if (b0 & 0x70) protocol_error("reserved bits set");
    if (b1 & 0x80) protocol_error("a server frame is masked");
    uint64_t len = b1 & 0x7F;
    if (len >= 126) {
      std::string ext;
      stream_->read_exact(ext, len == 126 ? 2 : 8, frame_deadline);
      len = 0;
      for (char c : ext) len = (len << 8) | static_cast<unsigned char>(c);
    }
    bool control = op & 0x08;
    if (control && (len > 125 || !fin)) protocol_error("an oversized or fragmented control frame");
    if (len > max_message_ || partial_.data.size() + len > max_message_) protocol_error("a message over the size limit");
    std::string payload;
    stream_->read_exact(payload, static_cast<size_t>(len), frame_deadline);
    if (op == Ping) {
      send(Pong, payload);
      continue;
    }
    if (op == Pong) continue;
    if (op == Close) {
      peer_closed_ = true;
      if (payload.size() >= 2)
        close_code_ = static_cast<unsigned short>((static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]));
      close(close_code_ ? close_code_ : 1000);
      return std::nullopt;
    }
    if (op == Continuation) {
      if (!in_message_) protocol_error("a continuation without a first frame");
    } else if (op == Text || op == Binary) {
      if (in_message_) protocol_error("a new message inside a fragmented one");
      partial_ = Message{op, ""};
      in_message_ = true;
    } else {
      protocol_error("unknown opcode " + std::to_string(op));
    }
    partial_.data += payload;
    if (fin) {
      in_message_ = false;
      return std::move(partial_);
    }
  }
  return std::nullopt;
}

}  // namespace orch::kube
