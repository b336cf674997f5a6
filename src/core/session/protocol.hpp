#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace orch::session {

// The kernel protocol, both directions: a header line "TYPE LEN\n" (TYPE is 1-16 lowercase letters,
// LEN decimal) followed by exactly LEN payload bytes. Because every payload is length-prefixed,
// bytes a program prints can never be taken for a frame boundary.
// Requests: exec (code), ping (empty). Replies: out, err (raw bytes), display, error, done (JSON).
struct Frame {
  std::string type;
  std::string payload;
};

std::string encode_frame(std::string_view type, std::string_view payload);

class FrameParser {
 public:
  explicit FrameParser(size_t max_payload = size_t{64} << 20) : max_payload_(max_payload) {}
  // Feeds bytes in any split; each complete frame goes to on_frame. Throws orch::Error(Infrastructure)
  // when the bytes are not frames (after that the stream is unusable).
  void feed(std::string_view data, const std::function<void(Frame&&)>& on_frame);
  // True between frames: nothing partial is buffered.
  bool idle() const { return header_.empty() && !in_payload_; }

 private:
  size_t max_payload_;
  std::string header_;
  bool in_payload_ = false;
  size_t remaining_ = 0;
  Frame current_;
};

}  // namespace orch::session
