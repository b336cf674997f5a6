#pragma once
#include <functional>
#include <string>
#include <string_view>

namespace orch::sandbox {

// Keeps at most `cap` bytes of a stream and remembers whether more came.
struct CappedBuffer {
  explicit CappedBuffer(size_t cap) : cap(cap) {}
  // Returns the part that was kept (what a live viewer should see).
  std::string_view append(std::string_view data);
  size_t cap;
  std::string data;
  bool truncated = false;
};

// Splits a stream at the last occurrence of a marker: bytes before go to `normal`, bytes after
// are kept as the trailer (up to trailer_cap). Holds back only what could be the start of a marker.
class MarkerSplitter {
 public:
  MarkerSplitter(std::string marker, size_t trailer_cap, std::function<void(std::string_view)> normal)
      : marker_(std::move(marker)), trailer_cap_(trailer_cap), normal_(std::move(normal)) {}
  void feed(std::string_view data);
  void finish();  // flushes held-back bytes when no marker came
  bool found() const { return found_; }
  bool trailer_truncated() const { return trailer_truncated_; }
  const std::string& trailer() const { return trailer_; }

 private:
  void feed_trailer(std::string_view data);
  std::string marker_;
  size_t trailer_cap_;
  std::function<void(std::string_view)> normal_;
  std::string held_;
  std::string trailer_;
  bool found_ = false;
  bool trailer_truncated_ = false;
};

}  // namespace orch::sandbox
