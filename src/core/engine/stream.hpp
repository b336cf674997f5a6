#pragma once
#include <chrono>
#include <functional>
#include <string_view>

namespace orch::engine {

using Clock = std::chrono::steady_clock;

// Which of a process's streams a piece of output came from.
enum class StreamKind { Stdout, Stderr };

inline const char* stream_name(StreamKind k) { return k == StreamKind::Stdout ? "stdout" : "stderr"; }

// A live connection to a process: its stdin one way, its output the other, each piece of output
// tagged with its kind. Docker multiplexes both over one socket with 8-byte headers; Kubernetes'
// exec/attach WebSocket carries them on numbered channels; a warm runner's direct socket carries
// one kind only. Not thread-safe: one reader and writer at a time.
class Stream {
 public:
  using Sink = std::function<void(StreamKind, std::string_view)>;
  virtual ~Stream() = default;

  // Waits until `deadline` for data and hands what arrived to `sink`. Returns the bytes taken off
  // the wire (> 0), 0 when the stream ended, -1 when the deadline passed first. Throws
  // Infrastructure when the bytes do not follow the stream's framing.
  virtual long read(const Sink& sink, Clock::time_point deadline) = 0;

  // Writes all of `data` to stdin, blocking as needed; throws when the peer is gone.
  virtual void write(std::string_view data) = 0;
  // Writes what stdin takes without blocking: the bytes taken (maybe 0), or -1 when the peer no
  // longer reads stdin.
  virtual long write_some(std::string_view data) = 0;
  // Ends stdin (the process reads EOF); output keeps flowing.
  virtual void close_stdin() = 0;

  // Nothing to read now, buffered or on the wire. On a stream whose peer should be silent (an idle
  // runner or relay), anything else means its end or stray bytes.
  virtual bool quiet() const = 0;
  // A descriptor for poll(): readable when read() can make progress, writable when write_some()
  // can. Check buffered() first: bytes already read off the descriptor do not wake poll().
  virtual int poll_fd() const = 0;
  virtual bool buffered() const = 0;
};

}  // namespace orch::engine
