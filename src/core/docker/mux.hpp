#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace orch::docker {

enum class StreamId : uint8_t { Stdin = 0, Stdout = 1, Stderr = 2, System = 3 };

// Splits Docker's multiplexed attach/exec stream (8-byte header: stream, 0, 0, 0, big-endian size)
// into per-stream payloads, across arbitrary read boundaries, without buffering whole frames.
class Demuxer {
 public:
  using Sink = std::function<void(StreamId, std::string_view)>;
  explicit Demuxer(Sink sink) : sink_(std::move(sink)) {}
  // Returns false when the bytes are not a valid multiplexed stream.
  bool feed(std::string_view data);
  bool at_frame_boundary() const { return header_len_ == 0 && remaining_ == 0; }

 private:
  Sink sink_;
  unsigned char header_[8] = {};
  size_t header_len_ = 0;
  size_t remaining_ = 0;
  StreamId current_ = StreamId::Stdout;
};

// Encodes one frame (used by the fake daemon in tests and by in-sandbox protocols).
std::string encode_frame(StreamId stream, std::string_view payload);

}  // namespace orch::docker
