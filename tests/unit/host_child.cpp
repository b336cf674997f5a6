#include "host_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace orch::testing {

namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// One read into `data`: false at the end of the stream.
bool read_some(int fd, std::string& data) {
  char buf[65536];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n <= 0) return false;
  data.append(buf, static_cast<size_t>(n));
  return true;
}

// A unix socket bound (listening) or connected to `path`.
int unix_socket_at(const std::string& path, bool listening) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return -1;
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  bool ok = listening ? ::bind(fd, sa, sizeof addr) == 0 && ::listen(fd, 1) == 0 : ::connect(fd, sa, sizeof addr) == 0;
  if (ok) return fd;
  ::close(fd);
  return -1;
}

}  // namespace

int unix_listen(const std::string& path) { return unix_socket_at(path, true); }
int unix_connect(const std::string& path) { return unix_socket_at(path, false); }

HostChild::HostChild(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& cwd) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    for (const auto& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_fd_ = out[0];
  err_fd_ = err[0];
}

HostChild::~HostChild() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  for (int fd : {in_, out_fd_, err_fd_})
    if (fd >= 0) ::close(fd);
}

void HostChild::write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(in_, data.data(), data.size());
    if (n <= 0) throw std::runtime_error("the child stopped reading its stdin");
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void HostChild::close_stdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

bool HostChild::read_until(const std::function<bool()>& done, double seconds) {
  auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (!(done && done())) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
    if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
    if (n == 0) return !done;
    if (::poll(fds, n, ms_left(deadline)) <= 0) return false;
    for (nfds_t i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      bool is_out = fds[i].fd == out_fd_;
      if (read_some(fds[i].fd, is_out ? out_ : err_)) continue;
      ::close(fds[i].fd);
      (is_out ? out_fd_ : err_fd_) = -1;
    }
  }
  return true;
}

int HostChild::wait(double seconds) {
  auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (Clock::now() >= deadline) return -1;
    ::usleep(2000);
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool read_fd_until(int fd, std::string& data, const std::function<bool(const std::string&)>& done, double seconds) {
  auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (!done(data)) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms_left(deadline)) <= 0 || !read_some(fd, data)) return false;
  }
  return true;
}

}  // namespace orch::testing
