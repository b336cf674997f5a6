#include "core/docker/conn.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"

namespace orch::docker {

namespace {

int ms_until(Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left > 1000000 ? 1000000 : left);
}

[[noreturn]] void io_error(const char* what) {
  throw Error(ErrorKind::Unavailable, std::string("connection to the Docker engine failed: ") + what + ": " +
                                          std::strerror(errno));
}

}  // namespace

Conn::~Conn() {
  if (fd_ >= 0) ::close(fd_);
}

void Conn::write_all(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, 1000);
        continue;
      }
      io_error("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void Conn::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

bool Conn::fill(Clock::time_point deadline) {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, ms_until(deadline));
    if (r < 0) {
      if (errno == EINTR) continue;
      io_error("poll");
    }
    if (r == 0) throw Error(ErrorKind::Timeout, "the Docker engine did not answer in time");
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      io_error("read");
    }
    if (n == 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
}

bool Conn::quiet() const {
  if (has_buffered()) return false;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

long Conn::read_some(char* out, size_t n, Clock::time_point deadline) {
  if (pos_ < buf_.size()) {
    size_t k = std::min(n, buf_.size() - pos_);
    std::memcpy(out, buf_.data() + pos_, k);
    pos_ += k;
    return static_cast<long>(k);
  }
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, ms_until(deadline));
    if (r < 0) {
      if (errno == EINTR) return -1;
      io_error("poll");
    }
    if (r == 0) return -1;
    ssize_t got = ::recv(fd_, out, n, 0);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECONNRESET) return 0;
      io_error("read");
    }
    return static_cast<long>(got);
  }
}

std::string Conn::read_line(Clock::time_point deadline, size_t max_len) {
  for (;;) {
    size_t eol = buf_.find("\r\n", pos_);
    if (eol != std::string::npos) {
      std::string line = buf_.substr(pos_, eol - pos_);
      pos_ = eol + 2;
      return line;
    }
    if (buf_.size() - pos_ > max_len) throw Error(ErrorKind::Infrastructure, "the Docker engine sent an overlong line");
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    if (!fill(deadline)) throw Error(ErrorKind::Unavailable, "the Docker engine closed the connection");
  }
}

void Conn::read_exact(std::string& out, size_t n, Clock::time_point deadline) {
  while (n > 0) {
    if (pos_ == buf_.size() && !fill(deadline))
      throw Error(ErrorKind::Unavailable, "the Docker engine closed the connection mid-response");
    size_t k = std::min(n, buf_.size() - pos_);
    out.append(buf_, pos_, k);
    pos_ += k;
    n -= k;
  }
}

std::string Endpoint::display() const {
  if (kind == Kind::Unix) return "unix://" + path;
  bool ipv6 = host.find(':') != std::string::npos;
  return "tcp://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Endpoint parse_endpoint(std::string_view docker_host) {
  Endpoint ep;
  if (docker_host.empty()) {
    ep.path = "/var/run/docker.sock";
    return ep;
  }
  if (docker_host.rfind("unix://", 0) == 0) {
    ep.path = std::string(docker_host.substr(7));
    if (ep.path.empty()) throw Error(ErrorKind::BadInput, "DOCKER_HOST unix:// has no socket path");
    return ep;
  }
  if (docker_host.rfind("tcp://", 0) == 0 || docker_host.rfind("http://", 0) == 0) {
    std::string_view rest = docker_host.substr(docker_host.find("//") + 2);
    if (auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
    // An IPv6 literal is bracketed ([::1]:2375), so its colons are not the port separator.
    auto colon = rest.rfind(':');
    if (auto close = rest.rfind(']'); close != std::string_view::npos && (colon == std::string_view::npos || colon < close))
      colon = std::string_view::npos;
    ep.kind = Endpoint::Kind::Tcp;
    ep.host = std::string(rest.substr(0, colon));
    ep.port = 2375;
    if (colon != std::string_view::npos) {
      std::string_view digits = rest.substr(colon + 1);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ep.port);
      if (ec != std::errc() || end != digits.data() + digits.size()) ep.port = 0;
    }
    if (ep.host.size() > 2 && ep.host.front() == '[' && ep.host.back() == ']') ep.host = ep.host.substr(1, ep.host.size() - 2);
    if (ep.host.empty() || ep.host.find_first_of("[]") != std::string::npos || ep.port <= 0 || ep.port > 65535)
      throw Error(ErrorKind::BadInput, "DOCKER_HOST '" + std::string(docker_host) + "' is not tcp://HOST:PORT");
    return ep;
  }
  throw Error(ErrorKind::BadInput, "DOCKER_HOST '" + std::string(docker_host) +
                                       "' is not supported (use unix:///path/to/docker.sock or tcp://host:port)");
}

Endpoint endpoint_from_env() {
  const char* h = std::getenv("DOCKER_HOST");
  return parse_endpoint(h ? h : "");
}

namespace {

[[noreturn]] void unreachable(const Endpoint& ep, const std::string& why) {
  throw Error(ErrorKind::Unavailable, "cannot reach Docker at " + ep.display() + ": " + why +
                                          " (is dockerd running? install Docker, e.g. 'apt-get install docker.io', and "
                                          "start it, or set DOCKER_HOST to use another engine)");
}

bool wait_connected(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  errno = err;
  return err == 0;
}

}  // namespace

int connect_endpoint(const Endpoint& ep, std::chrono::milliseconds timeout) {
  if (ep.kind == Endpoint::Kind::Unix) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (ep.path.size() >= sizeof addr.sun_path) unreachable(ep, "socket path too long");
    std::memcpy(addr.sun_path, ep.path.c_str(), ep.path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) unreachable(ep, std::strerror(errno));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      int e = errno;
      ::close(fd);
      unreachable(ep, std::strerror(e));
    }
    return fd;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(ep.host.c_str(), std::to_string(ep.port).c_str(), &hints, &res); rc != 0)
    unreachable(ep, gai_strerror(rc));
  std::string last = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc == 0 || (errno == EINPROGRESS && wait_connected(fd, timeout))) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::freeaddrinfo(res);
      return fd;
    }
    last = errno ? std::strerror(errno) : "timed out";
    ::close(fd);
  }
  ::freeaddrinfo(res);
  unreachable(ep, last);
}

}  // namespace orch::docker
