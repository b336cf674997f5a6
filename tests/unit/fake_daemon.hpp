#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/docker/conn.hpp"
#include "core/docker/http.hpp"

namespace orch::testing {

// A request as the fake engine received it.
struct Received {
  std::string method;
  std::string target;
  docker::Headers headers;
  std::string body;
  int connection = 0;  // index of the accepted connection it came on, from 0
  std::string header(const std::string& name) const;
};

// What the fake engine answers. Build one with the helpers below.
struct Reply {
  int status = 200;
  docker::Headers headers;
  std::string body;                 // sent with Content-Length unless chunks or raw are set
  std::vector<std::string> chunks;  // sent with Transfer-Encoding: chunked, one chunk each
  std::string raw;                  // written verbatim instead of a framed answer
  bool close_after = false;         // close the connection after answering (without saying so)
  // After a 101 answer: the raw stream, for scripted frames and reading the client's stdin.
  std::function<void(docker::Conn&)> on_upgrade;

  static Reply json(int status, const std::string& body);
  static Reply chunked(int status, std::vector<std::string> chunks);
  static Reply upgraded(std::function<void(docker::Conn&)> stream);
};

// An in-process Docker Engine stand-in on a unix socket in a fresh temporary directory.
// Answers /_ping itself (with `api_version`, when not empty) and every other request from `handler`.
class FakeDaemon {
 public:
  using Handler = std::function<Reply(const Received&)>;
  explicit FakeDaemon(Handler handler, std::string api_version = "1.41");
  ~FakeDaemon();
  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;

  std::string socket_path() const { return dir_ + "/docker.sock"; }
  std::string docker_host() const { return "unix://" + socket_path(); }
  int accepted() const { return accepted_.load(); }
  // Set before the first request to script /_ping through the handler too.
  std::atomic<bool> ping_to_handler{false};
  // Requests other than /_ping, in arrival order.
  std::vector<Received> requests() const;
  std::vector<Received> all_requests() const;  // including /_ping

 private:
  void accept_loop();
  void serve(int fd, int index);

  Handler handler_;
  std::string api_version_;
  std::string dir_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
  std::vector<Received> log_;
};

// Reads everything the peer sends until EOF (or the deadline).
std::string read_to_eof(docker::Conn& conn, std::chrono::milliseconds timeout = std::chrono::seconds(5));

// A fresh temporary directory, removed with everything in it when this goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  void write(const std::string& rel, const std::string& data) const;

 private:
  std::string path_;
};

// Sets an environment variable for one scope and restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  bool had_ = false;
  std::string old_;
};

}  // namespace orch::testing
