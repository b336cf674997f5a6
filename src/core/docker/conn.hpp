#pragma once
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace orch::docker {

using Clock = std::chrono::steady_clock;

// A connected socket with a read buffer. Reads wait at most until a deadline.
// After an HTTP upgrade the same object is the raw bidirectional stream.
class Conn {
 public:
  explicit Conn(int fd) : fd_(fd) {}
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  int fd() const { return fd_; }
  void write_all(std::string_view data);
  void shutdown_write();

  // Reads up to n bytes: buffered bytes first. Returns 0 at EOF, -1 when the deadline passed.
  long read_some(char* out, size_t n, Clock::time_point deadline);
  // Reads one CRLF-terminated line (without the CRLF); throws at EOF or deadline.
  std::string read_line(Clock::time_point deadline, size_t max_len = 64 * 1024);
  // Appends exactly n bytes to out; throws at EOF or deadline.
  void read_exact(std::string& out, size_t n, Clock::time_point deadline);
  bool has_buffered() const { return pos_ < buf_.size(); }
  // Nothing to read right now, buffered or on the socket. On a stream whose peer should be silent
  // (an idle runner or relay), anything else means its end or stray bytes.
  bool quiet() const;

 private:
  bool fill(Clock::time_point deadline);  // false at EOF; throws on deadline

  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

// Where the engine listens, from DOCKER_HOST (unix:///path or tcp://host:port).
struct Endpoint {
  enum class Kind { Unix, Tcp } kind = Kind::Unix;
  std::string path;  // unix socket path
  std::string host;  // tcp host
  int port = 0;
  std::string display() const;
};

Endpoint parse_endpoint(std::string_view docker_host);
Endpoint endpoint_from_env();
// Connects, or throws orch::Error(Unavailable) with a message that says what to do.
int connect_endpoint(const Endpoint& ep, std::chrono::milliseconds timeout);

}  // namespace orch::docker
