#include "core/agent/procs.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/agent/wire.hpp"

extern char** environ;

namespace orch::agent {

namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Failure("resource_exhausted", std::string("cannot make a pipe: ") + std::strerror(errno));
    r = fds[0];
    w = fds[1];
  }
  void close_all() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
    r = w = -1;
  }
};

[[noreturn]] void child_fail(int report_fd, int err) {
  ssize_t ignored = ::write(report_fd, &err, sizeof err);
  (void)ignored;
  ::_exit(127);
}

std::string signal_name(int sig) {
  const char* s = ::strsignal(sig);
  std::string out = s ? s : "signal " + std::to_string(sig);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Process spawn(const ProcessConfig& c, const std::map<std::string, std::string>& base_env) {
  if (c.cmd.empty()) throw Failure("invalid_argument", "no command to run");
  struct stat st {};
  if (::stat(c.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Failure("invalid_argument", "working directory '" + c.cwd + "' does not exist or is not a directory");

  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : base_env) env[k] = v;
  for (const auto& [k, v] : c.env) env[k] = v;
  std::vector<std::string> env_strs;
  env_strs.reserve(env.size());
  for (const auto& [k, v] : env) env_strs.push_back(k + "=" + v);
  std::vector<char*> envp;
  envp.reserve(env_strs.size() + 1);
  for (auto& s : env_strs) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strs = {c.cmd};
  argv_strs.insert(argv_strs.end(), c.args.begin(), c.args.end());
  std::vector<char*> argv;
  argv.reserve(argv_strs.size() + 1);
  for (auto& s : argv_strs) argv.push_back(s.data());
  argv.push_back(nullptr);

  Pipe out, err, report;
  Pipe in;  // used only when stdin stays open
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    out.close_all(), err.close_all(), report.close_all(), in.close_all();
    ::close(devnull);
    throw Failure("resource_exhausted", std::string("cannot start a process: ") + std::strerror(e));
  }
  if (pid == 0) {
    ::setsid();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
    if (::dup2(c.stdin_open ? in.r : devnull, 0) < 0 || ::dup2(out.w, 1) < 0 || ::dup2(err.w, 2) < 0) child_fail(report.w, errno);
    if (::chdir(c.cwd.c_str()) != 0) child_fail(report.w, errno);
    environ = envp.data();
    ::execvp(argv[0], argv.data());
    child_fail(report.w, errno);
  }
  ::close(devnull);
  ::close(out.w);
  ::close(err.w);
  ::close(in.r);
  ::close(report.w);
  int child_errno = 0;
  ssize_t n;
  do n = ::read(report.r, &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  ::close(report.r);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    ::close(out.r);
    ::close(err.r);
    ::close(in.w);
    ::waitpid(pid, nullptr, 0);
    std::string code = child_errno == ENOENT ? "not_found" : child_errno == EACCES ? "permission_denied" : "invalid_argument";
    throw Failure(code, "cannot run '" + c.cmd + "': " + std::strerror(child_errno));
  }
  Process p;
  p.pid = pid;
  p.config = c;
  p.out_fd = out.r;
  p.err_fd = err.r;
  if (c.stdin_open) {
    p.in_fd = in.w;
    ::fcntl(p.in_fd, F_SETFL, ::fcntl(p.in_fd, F_GETFL) | O_NONBLOCK);
  } else {
    ::close(in.w);
  }
  for (int fd : {p.out_fd, p.err_fd}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (c.timeout_ms > 0) p.deadline = Clock::now() + std::chrono::milliseconds(c.timeout_ms);
  return p;
}

nlohmann::json exit_info(const Process& p) {
  nlohmann::json j = {{"pid", p.pid}, {"exited", true}, {"timed_out", p.timed_out}};
  if (WIFEXITED(p.status)) {
    int code = WEXITSTATUS(p.status);
    j["exit_code"] = code;
    j["status"] = "exit status " + std::to_string(code);
    if (code != 0) j["error"] = j["status"];
  } else if (WIFSIGNALED(p.status)) {
    j["exit_code"] = -1;
    j["status"] = "signal: " + signal_name(WTERMSIG(p.status));
    j["error"] = j["status"];
  } else {
    j["exit_code"] = -1;
    j["status"] = "unknown";
  }
  return j;
}

nlohmann::json config_json(const Process& p) {
  nlohmann::json j = {{"pid", p.pid}, {"cmd", p.config.cmd}, {"args", p.config.args}, {"env", p.config.env}, {"cwd", p.config.cwd}};
  if (!p.config.tag.empty()) j["tag"] = p.config.tag;
  return j;
}

}  // namespace orch::agent
