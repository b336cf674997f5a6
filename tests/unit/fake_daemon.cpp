#include "fake_daemon.hpp"

#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace orch::testing {

using docker::Clock;
using docker::Conn;

std::string Received::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (::strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return "";
}

Reply Reply::json(int status, const std::string& body) {
  Reply r;
  r.status = status;
  r.body = body;
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

Reply Reply::chunked(int status, std::vector<std::string> chunks) {
  Reply r;
  r.status = status;
  r.chunks = std::move(chunks);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

Reply Reply::upgraded(std::function<void(Conn&)> stream) {
  Reply r;
  r.status = 101;
  r.on_upgrade = std::move(stream);
  return r;
}

namespace {

const char* reason(int status) {
  switch (status) {
    case 101: return "UPGRADED";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 500: return "Internal Server Error";
    default: return "Status";
  }
}

std::string head_line(int status) { return "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n"; }

std::string encode(const Reply& r) {
  if (!r.raw.empty()) return r.raw;
  std::string out = head_line(r.status);
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  if (r.status == 101) return out + "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
  if (!r.chunks.empty()) {
    out += "Transfer-Encoding: chunked\r\n\r\n";
    for (const auto& c : r.chunks) {
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", c.size());
      out += size + c + "\r\n";
    }
    return out + "0\r\n\r\n";
  }
  if (r.status == 204 || r.status == 304) return out + "\r\n";
  return out + "Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
}

}  // namespace

FakeDaemon::FakeDaemon(Handler handler, std::string api_version)
    : handler_(std::move(handler)), api_version_(std::move(api_version)) {
  char tmpl[] = "/tmp/orch-fake-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = socket_path();
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0)
    throw std::runtime_error("fake daemon cannot listen on " + path);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeDaemon::~FakeDaemon() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& w : workers_) w.join();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::vector<Received> FakeDaemon::all_requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

std::vector<Received> FakeDaemon::requests() const {
  std::vector<Received> out;
  for (auto& r : all_requests())
    if (r.target != "/_ping") out.push_back(r);
  return out;
}

void FakeDaemon::accept_loop() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.push_back(fd);
    int index = accepted_++;
    workers_.emplace_back([this, fd, index] { serve(fd, index); });
  }
}

void FakeDaemon::serve(int fd, int index) {
  Conn conn(fd);
  // Declared after conn, so it runs first: the fd leaves the list before conn closes it.
  struct Forget {
    FakeDaemon* d;
    int fd;
    ~Forget() {
      std::lock_guard<std::mutex> lock(d->mu_);
      d->open_fds_.erase(std::remove(d->open_fds_.begin(), d->open_fds_.end(), fd), d->open_fds_.end());
    }
  } forget{this, fd};
  try {
    for (;;) {
      auto deadline = Clock::now() + std::chrono::seconds(30);
      Received req;
      req.connection = index;
      std::string line = conn.read_line(deadline);
      auto sp1 = line.find(' ');
      auto sp2 = line.find(' ', sp1 + 1);
      if (sp1 == std::string::npos || sp2 == std::string::npos) return;
      req.method = line.substr(0, sp1);
      req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      for (std::string h = conn.read_line(deadline); !h.empty(); h = conn.read_line(deadline)) {
        auto colon = h.find(':');
        if (colon == std::string::npos) continue;
        size_t v = h.find_first_not_of(' ', colon + 1);
        req.headers.emplace_back(h.substr(0, colon), v == std::string::npos ? "" : h.substr(v));
      }
      if (std::string cl = req.header("Content-Length"); !cl.empty())
        conn.read_exact(req.body, std::strtoull(cl.c_str(), nullptr, 10), deadline);
      {
        std::lock_guard<std::mutex> lock(mu_);
        log_.push_back(req);
      }
      Reply reply;
      if (req.target == "/_ping" && !ping_to_handler) {
        reply.body = "OK";
        if (!api_version_.empty()) reply.headers.emplace_back("Api-Version", api_version_);
      } else {
        reply = handler_(req);
      }
      conn.write_all(encode(reply));
      if (reply.status == 101) {
        if (reply.on_upgrade) reply.on_upgrade(conn);
        return;
      }
      if (reply.close_after) return;
    }
  } catch (const std::exception&) {
    // The client went away or the daemon is stopping.
  }
}

std::string read_to_eof(Conn& conn, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = Clock::now() + timeout;
  char buf[4096];
  for (;;) {
    long n = conn.read_some(buf, sizeof buf, deadline);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/orch-unit-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void TempDir::write(const std::string& rel, const std::string& data) const {
  std::filesystem::path p = std::filesystem::path(path_) / rel;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << data;
}

ScopedEnv::ScopedEnv(const char* name, const std::string& value) : name_(name) {
  if (const char* old = std::getenv(name)) {
    had_ = true;
    old_ = old;
  }
  ::setenv(name, value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
  if (had_) ::setenv(name_.c_str(), old_.c_str(), 1);
  else ::unsetenv(name_.c_str());
}

}  // namespace orch::testing
