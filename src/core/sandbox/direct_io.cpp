#include "core/sandbox/direct_io.hpp"

#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <cstdlib>
#include <fstream>

#include "core/engine/socket_stream.hpp"
#include "core/util/host_dir.hpp"
#include "core/util/random.hpp"

namespace orch::sandbox {

namespace {

int listen_at(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return -1;
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  // The sandbox's user is not orch's: the socket must be connectable by anyone who can reach it.
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::chmod(path.c_str(), 0666) != 0 ||
      ::listen(fd, 1) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The listeners are non-blocking and a runner connects its two sockets one after the other: the
// second may not be there yet when the first wakes the pool, so each accept waits a little for it.
int accept_from(int listener, const std::string& id) {
  pollfd p{listener, POLLIN, 0};
  int ready;
  while ((ready = ::poll(&p, 1, 5000)) < 0 && errno == EINTR) {
  }
  if (ready <= 0) return -1;
  int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return -1;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || !process_in_container(cred.pid, id)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int connect_to(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return -1;
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

bool connect_direct_output(const std::string& dir) {
  int o = connect_to(dir + "/o");
  int e = o < 0 ? -1 : connect_to(dir + "/e");
  // dup2 clears close-on-exec on the copies, so only stdout and stderr carry the sockets on.
  bool done = o >= 0 && e >= 0 && ::dup2(o, 1) == 1 && ::dup2(e, 2) == 2;
  for (int fd : {o, e})
    if (fd > 2) ::close(fd);
  return done;
}

int exec_with_direct_output(const std::string& dir, char** argv) {
  if (connect_direct_output(dir)) ::setenv("ORCH_DIRECT_IO", "1", 1);
  ::execvp(argv[0], argv);
  return 127;
}

bool process_in_container(int pid, const std::string& id) {
  if (pid <= 0 || id.size() < 12) return false;
  std::ifstream f("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  while (std::getline(f, line))
    if (line.find(id) != std::string::npos) return true;
  return false;
}

std::unique_ptr<DirectOutput> DirectOutput::open() {
  std::string base = runtime_dir();
  if (base.empty()) return nullptr;
  std::unique_ptr<DirectOutput> d(new DirectOutput());
  std::string dir = base + "/io-" + random_hex(16);
  if (::mkdir(dir.c_str(), 0755) != 0) return nullptr;
  d->dir_ = dir;  // from here the destructor removes it
  d->out_listener_ = listen_at(dir + "/o");
  d->err_listener_ = listen_at(dir + "/e");
  if (d->out_listener_ < 0 || d->err_listener_ < 0) return nullptr;
  return d;
}

void DirectOutput::remove_stale() {
  std::string base = runtime_dir();
  DIR* d = base.empty() ? nullptr : ::opendir(base.c_str());
  if (!d) return;
  time_t cutoff = ::time(nullptr) - 600;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name, dir = base + "/" + name;
    struct stat st {};
    if (name.rfind("io-", 0) != 0 || ::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_mtime > cutoff) continue;
    ::unlink((dir + "/o").c_str());
    ::unlink((dir + "/e").c_str());
    ::rmdir(dir.c_str());
  }
  ::closedir(d);
}

DirectOutput::~DirectOutput() {
  for (int fd : {out_listener_, err_listener_})
    if (fd >= 0) ::close(fd);
  if (dir_.empty()) return;
  ::unlink((dir_ + "/o").c_str());
  ::unlink((dir_ + "/e").c_str());
  ::rmdir(dir_.c_str());
}

bool DirectOutput::accept(const std::string& id, std::unique_ptr<engine::Stream>& out, std::unique_ptr<engine::Stream>& err) {
  int o = accept_from(out_listener_, id);
  int e = o < 0 ? -1 : accept_from(err_listener_, id);
  if (o < 0 || e < 0) {
    if (o >= 0) ::close(o);
    return false;
  }
  out = engine::socket_stream(std::make_unique<docker::Conn>(o), engine::StreamKind::Stdout);
  err = engine::socket_stream(std::make_unique<docker::Conn>(e), engine::StreamKind::Stderr);
  return true;
}

}  // namespace orch::sandbox
