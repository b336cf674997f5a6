#include "core/agent/agent.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "core/agent/fs.hpp"
#include "core/agent/procs.hpp"
#include "core/agent/wire.hpp"

namespace orch::agent {

using nlohmann::json;

namespace {

constexpr size_t kOutHighWater = size_t{4} << 20;  // stop reading process output while this much waits for the host
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kFileChunk = size_t{1} << 20;
constexpr size_t kMaxProcesses = 1024;

int g_sigchld_pipe[2] = {-1, -1};

void on_sigchld(int) {
  int saved = errno;
  char b = 1;
  ssize_t ignored = ::write(g_sigchld_pipe[1], &b, 1);
  (void)ignored;
  errno = saved;
}

class Agent {
 public:
  int loop();

 private:
  void send(std::string_view type, const json& head, std::string_view body = {}) { out_ += encode(type, head, body); }
  void handle(Message&& m);
  json dispatch(const Message& m, std::string& body);
  Process& proc(const json& head);
  void read_output(Process& p, int& fd, int which);
  void reap();
  void finish_exited();
  void flush_out();
  void write_stdin(Process& p);
  void kill_all();

  std::string out_;
  size_t out_pos_ = 0;
  std::map<int, Process> procs_;
  std::map<std::string, std::string> base_env_;
  OpenFiles files_;
  session::FrameParser parser_;
  bool host_gone_ = false;
};

Process& Agent::proc(const json& head) {
  int pid = head.value("pid", 0);
  auto it = procs_.find(pid);
  if (it == procs_.end() || it->second.exited) throw Failure("not_found", "process with pid " + std::to_string(pid) + " not found");
  return it->second;
}

json Agent::dispatch(const Message& m, std::string& body) {
  const json& h = m.head;
  const std::string& t = m.type;
  if (t == "ping") return json::object();
  if (t == "start") {
    if (procs_.size() >= kMaxProcesses) throw Failure("resource_exhausted", "too many processes started by the agent");
    ProcessConfig c;
    c.cmd = h.value("cmd", "");
    c.args = h.value("args", std::vector<std::string>{});
    c.env = h.value("env", std::map<std::string, std::string>{});
    c.cwd = h.value("cwd", "/");
    c.tag = h.value("tag", "");
    c.stdin_open = h.value("stdin", false);
    c.timeout_ms = h.value("timeout_ms", int64_t{0});
    Process p = spawn(c, base_env_);
    int pid = p.pid;
    procs_[pid] = std::move(p);
    return {{"pid", pid}};
  }
  if (t == "input") {
    Process& p = proc(h);
    if (p.in_fd < 0) throw Failure("invalid_argument", "stdin of process " + std::to_string(p.pid) + " is not open");
    p.pending_in += m.body;
    return json::object();
  }
  if (t == "closein") {
    Process& p = proc(h);
    p.close_in_after = true;
    return json::object();
  }
  if (t == "signal") {
    Process& p = proc(h);
    int sig = h.value("signal", SIGKILL);
    if (::kill(-p.pid, sig) != 0 && ::kill(p.pid, sig) != 0 && errno != ESRCH)
      throw Failure("internal", std::string("cannot signal: ") + std::strerror(errno));
    return json::object();
  }
  if (t == "list") {
    json arr = json::array();
    for (const auto& [pid, p] : procs_)
      if (!p.exited) arr.push_back(config_json(p));
    return {{"processes", arr}};
  }
  if (t == "setenv") {
    for (const auto& [k, v] : h.value("env", std::map<std::string, std::string>{})) base_env_[k] = v;
    return json::object();
  }
  if (t == "stat") return {{"entry", entry_info(h.value("path", ""))}};
  if (t == "ls") return {{"entries", list_dir(h.value("path", ""), h.value("depth", 1))}};
  if (t == "mkdir") return {{"entry", make_dir(h.value("path", ""))}};
  if (t == "move") return {{"entry", move_path(h.value("from", ""), h.value("to", ""))}};
  if (t == "remove") {
    remove_path(h.value("path", ""));
    return json::object();
  }
  if (t == "open") return files_.open_read(h.value("path", ""));
  if (t == "read") {
    bool eof = false;
    body = files_.read(h.value("fh", 0), std::min<size_t>(h.value("max", kFileChunk), kFileChunk), eof);
    return {{"eof", eof}};
  }
  if (t == "create") return files_.create(h.value("path", ""));
  if (t == "write") {
    files_.write(h.value("fh", 0), m.body);
    return json::object();
  }
  if (t == "commit") return {{"entry", files_.commit(h.value("fh", 0))}};
  if (t == "close") {
    files_.close(h.value("fh", 0));
    return json::object();
  }
  throw Failure("invalid_argument", "unknown request '" + t + "'");
}

void Agent::handle(Message&& m) {
  json id = m.head.contains("id") ? m.head["id"] : json(nullptr);
  std::string body;
  try {
    json reply = dispatch(m, body);
    reply["id"] = id;
    send("ok", reply, body);
  } catch (const Failure& f) {
    send("fail", {{"id", id}, {"code", f.code()}, {"message", f.what()}});
  } catch (const std::exception& e) {
    send("fail", {{"id", id}, {"code", "internal"}, {"message", e.what()}});
  }
}

void Agent::read_output(Process& p, int& fd, int which) {
  char buf[kReadChunk];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    ::close(fd);
    fd = -1;
    return;
  }
  send("out", {{"pid", p.pid}, {"fd", which}}, std::string_view(buf, static_cast<size_t>(n)));
}

void Agent::write_stdin(Process& p) {
  while (!p.pending_in.empty()) {
    ssize_t n = ::write(p.in_fd, p.pending_in.data(), p.pending_in.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) {  // the reader is gone: what it would have read is dropped
      p.pending_in.clear();
      p.close_in_after = true;
      break;
    }
    p.pending_in.erase(0, static_cast<size_t>(n));
  }
  if (p.close_in_after) {
    ::close(p.in_fd);
    p.in_fd = -1;
  }
}

void Agent::reap() {
  char drain[64];
  while (::read(g_sigchld_pipe[0], drain, sizeof drain) > 0) {
  }
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    auto it = procs_.find(pid);
    if (it == procs_.end()) continue;
    it->second.exited = true;
    it->second.status = status;
  }
}

// A process is over once it exited and its output pipes closed (a child it left behind may hold them).
void Agent::finish_exited() {
  for (auto it = procs_.begin(); it != procs_.end();) {
    Process& p = it->second;
    if (!p.exited || p.out_fd >= 0 || p.err_fd >= 0) {
      ++it;
      continue;
    }
    if (p.in_fd >= 0) ::close(p.in_fd);
    send("exit", exit_info(p));
    it = procs_.erase(it);
  }
}

void Agent::flush_out() {
  while (out_pos_ < out_.size()) {
    ssize_t n = ::write(1, out_.data() + out_pos_, out_.size() - out_pos_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {
      host_gone_ = true;
      return;
    }
    out_pos_ += static_cast<size_t>(n);
  }
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  } else if (out_pos_ > (size_t{1} << 20)) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
}

void Agent::kill_all() {
  for (auto& [pid, p] : procs_) ::kill(-pid, SIGKILL);
}

int Agent::loop() {
  if (::pipe2(g_sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
  struct sigaction sa {};
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  ::sigaction(SIGCHLD, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  ::fcntl(0, F_SETFD, FD_CLOEXEC);
  ::fcntl(1, F_SETFL, ::fcntl(1, F_GETFL) | O_NONBLOCK);
  ::fcntl(1, F_SETFD, FD_CLOEXEC);
  char cwd[4096] = "/";
  if (!::getcwd(cwd, sizeof cwd)) std::strcpy(cwd, "/");
  send("hello", {{"version", kProtocolVersion}, {"pid", ::getpid()}, {"uid", ::getuid()}, {"cwd", cwd}});

  std::vector<pollfd> fds;
  std::vector<std::pair<int, int>> who;  // (pid, 0 stdin | 1 stdout | 2 stderr) per fds entry past the fixed ones
  char buf[kReadChunk];
  while (!host_gone_) {
    fds.clear();
    who.clear();
    fds.push_back({0, POLLIN, 0});
    fds.push_back({1, static_cast<short>(out_.size() > out_pos_ ? POLLOUT : 0), 0});
    fds.push_back({g_sigchld_pipe[0], POLLIN, 0});
    bool room = out_.size() - out_pos_ < kOutHighWater;
    auto now = Clock::now();
    auto next_deadline = Clock::time_point::max();
    for (auto& [pid, p] : procs_) {
      if (room && p.out_fd >= 0) fds.push_back({p.out_fd, POLLIN, 0}), who.emplace_back(pid, 1);
      if (room && p.err_fd >= 0) fds.push_back({p.err_fd, POLLIN, 0}), who.emplace_back(pid, 2);
      if (p.in_fd >= 0 && (!p.pending_in.empty() || p.close_in_after)) fds.push_back({p.in_fd, POLLOUT, 0}), who.emplace_back(pid, 0);
      if (!p.exited && !p.timed_out) next_deadline = std::min(next_deadline, p.deadline);
    }
    int timeout = -1;
    if (next_deadline != Clock::time_point::max())
      timeout =
          static_cast<int>(std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline - now).count() + 1));
    int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) return 1;
    if (fds[0].revents) {
      ssize_t r = ::read(0, buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        kill_all();
        return 0;
      }
      if (r > 0) {
        try {
          parser_.feed(std::string_view(buf, static_cast<size_t>(r)), [this](session::Frame&& f) { handle(decode(std::move(f))); });
        } catch (const std::exception&) {
          kill_all();
          return 1;  // the host is not speaking the protocol
        }
      }
    }
    if (fds[2].revents) reap();
    for (size_t i = 3; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      auto it = procs_.find(who[i - 3].first);
      if (it == procs_.end()) continue;
      Process& p = it->second;
      int which = who[i - 3].second;
      if (which == 1 && p.out_fd >= 0) read_output(p, p.out_fd, 1);
      else if (which == 2 && p.err_fd >= 0) read_output(p, p.err_fd, 2);
      else if (which == 0 && p.in_fd >= 0) write_stdin(p);
    }
    now = Clock::now();
    for (auto& [pid, p] : procs_) {
      if (!p.exited && !p.timed_out && now >= p.deadline) {
        p.timed_out = true;
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
      }
      if (p.in_fd >= 0 && p.close_in_after && p.pending_in.empty()) write_stdin(p);
    }
    reap();
    finish_exited();
    flush_out();
  }
  kill_all();
  return 0;
}

}  // namespace

int run() {
  Agent a;
  return a.loop();
}

}  // namespace orch::agent
