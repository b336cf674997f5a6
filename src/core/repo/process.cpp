#include "core/repo/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/error.hpp"

namespace orch::repo {

namespace {

using Clock = std::chrono::steady_clock;

std::string path_from(const std::vector<std::string>& env) {
  for (const auto& kv : env)
    if (kv.rfind("PATH=", 0) == 0) return kv.substr(5);
  return "/usr/local/bin:/usr/bin:/bin";
}

// Resolved before fork so the child only calls async-signal-safe functions.
std::string resolve(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = path_from(env);
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    std::string cand = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(cand.c_str(), X_OK) == 0) return cand;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  throw Error(ErrorKind::Infrastructure, "'" + name + "' is not installed on this host (needed by orch repo)");
}

void append_capped(std::string& buf, const char* data, size_t n, size_t cap) {
  if (buf.size() < cap) buf.append(data, std::min(n, cap - buf.size()));
}

}  // namespace

ProcessResult run_process(const ProcessOptions& o) {
  if (o.argv.empty()) throw Error(ErrorKind::Infrastructure, "run_process: empty argv");
  std::string exe = resolve(o.argv[0], o.env);
  std::vector<char*> argv, envp;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : o.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw Error(ErrorKind::Infrastructure, "pipe failed");
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw Error(ErrorKind::Infrastructure, "pipe failed");
  }
  pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorKind::Infrastructure, std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) ::_exit(126);
    ::execve(exe.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  ProcessResult r;
  auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  auto next_check = Clock::now() + std::chrono::milliseconds(500);
  int fds[2] = {out_pipe[0], err_pipe[0]};
  int open_count = 2;
  char buf[16384];
  while (open_count > 0) {
    auto now = Clock::now();
    if (now >= deadline) {
      r.timed_out = true;
      break;
    }
    if (o.keep_going && now >= next_check) {
      next_check = now + std::chrono::milliseconds(500);
      if (!o.keep_going()) {
        r.stopped = true;
        break;
      }
    }
    pollfd p[2];
    nfds_t n = 0;
    for (int fd : fds)
      if (fd >= 0) p[n++] = {fd, POLLIN, 0};
    int r_poll = ::poll(p, n, 200);
    if (r_poll < 0 && errno != EINTR) break;
    for (nfds_t i = 0; i < n && r_poll > 0; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(p[i].fd, buf, sizeof buf);
      bool is_err = p[i].fd == fds[1];
      if (got > 0) {
        append_capped(is_err ? r.err : r.out, buf, static_cast<size_t>(got), o.output_cap);
        if (is_err && o.on_stderr) o.on_stderr(std::string_view(buf, static_cast<size_t>(got)));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(p[i].fd);
        (is_err ? fds[1] : fds[0]) = -1;
        --open_count;
      }
    }
  }
  // The whole group: git's remote helpers and ssh must not outlive a killed clone.
  if (r.timed_out || r.stopped) ::kill(-pid, SIGKILL);
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace orch::repo
