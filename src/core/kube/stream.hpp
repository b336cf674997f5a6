#pragma once
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/kube/config.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace orch::kube {

using Clock = std::chrono::steady_clock;

// Where the API server listens, from Config::server.
struct ServerAddress {
  bool tls = true;
  std::string host;  // without brackets for IPv6
  int port = 443;
  std::string host_header() const;
};
ServerAddress parse_server(const std::string& server);  // throws orch::Error(BadInput)

// The TLS settings of one API server, built once (CA, client certificate) and shared by connections.
class TlsContext {
 public:
  explicit TlsContext(const Config& cfg);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  SSL_CTX* get() const { return ctx_; }
  bool verify() const { return verify_; }

 private:
  SSL_CTX* ctx_ = nullptr;
  bool verify_ = true;
};

// A TCP connection to the API server, in TLS unless the server is http://, with a read buffer and
// deadlines. One thread may read while another writes (an exec's stdin beside its output): TLS
// calls take a lock and never block while holding it.
class Stream {
 public:
  static std::unique_ptr<Stream> connect(const ServerAddress& addr, const TlsContext* tls, Clock::time_point deadline);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  void write_all(std::string_view data, Clock::time_point deadline = Clock::time_point::max());
  // Up to n bytes, buffered ones first. 0 at EOF; throws orch::Error(Timeout) at the deadline.
  size_t read_some(char* out, size_t n, Clock::time_point deadline);
  std::string read_line(Clock::time_point deadline, size_t max_len = 64 * 1024);  // without CRLF
  void read_exact(std::string& out, size_t n, Clock::time_point deadline);
  // Nothing readable now (buffered, in TLS or on the socket): an idle kept-alive connection.
  bool quiet() const;
  // Bytes already taken off the socket (here or inside TLS) that poll() on fd() will not announce.
  bool buffered() const;
  int fd() const { return fd_; }
  void shutdown_write();

 private:
  Stream(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  bool fill(Clock::time_point deadline);
  void wait(short events, Clock::time_point deadline, const char* what);

  int fd_;
  SSL* ssl_;
  mutable std::mutex ssl_mu_;
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace orch::kube
