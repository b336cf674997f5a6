#include "core/sandbox/shell_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iterator>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/sandbox/direct_io.hpp"
#include "core/util/sh_quote.hpp"
#include "core/util/tar.hpp"

namespace orch::sandbox {

namespace {

constexpr size_t kHeaderMax = 40;  // as the other runners: "KIND LEN\n" within 40 bytes

bool read_full(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t got = ::read(fd, p, n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

void write_all(int fd, std::string_view d) {
  while (!d.empty()) {
    ssize_t n = ::write(fd, d.data(), d.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    d.remove_prefix(static_cast<size_t>(n));
  }
}

// One frame from `fd`, reading no byte past it (what follows on stdin is the program's); false at
// the end of the stream or on a header that is not one (lowercase kind, up to 15 digits).
bool read_frame(int fd, std::string& kind, std::string& payload) {
  std::string head;
  char c;
  for (;;) {
    if (!read_full(fd, &c, 1)) return false;
    if (c == '\n') break;
    if (head.size() >= kHeaderMax) return false;
    head += c;
  }
  size_t sp = head.find(' ');
  kind = head.substr(0, sp);
  std::string digits = sp == std::string::npos ? "0" : head.substr(sp + 1);
  if (kind.empty() || digits.empty() || digits.size() > 15) return false;
  for (char k : kind)
    if (k < 'a' || k > 'z') return false;
  for (char d : digits)
    if (d < '0' || d > '9') return false;
  payload.resize(std::stoull(digits));
  return read_full(fd, payload.data(), payload.size());
}

// Makes the directories of `rel` under `root` (which exists); false when one is anything but a
// directory, a symlink above all: nothing is written through a link.
bool make_dirs(const std::string& root, const std::string& rel) {
  for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
    std::string part = root + "/" + rel.substr(0, slash);
    struct stat st {};
    if (::lstat(part.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) continue;
      errno = ENOTDIR;
      return false;
    }
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return false;
  }
  return true;
}

bool write_file(const std::string& path, std::string_view data, uint32_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
  if (fd < 0) return false;
  bool ok = true;
  while (ok && !data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) data.remove_prefix(static_cast<size_t>(n));
  }
  return ::close(fd) == 0 && ok;
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1; }

// In a forked child: the signals as a program expects them, then `command` in place of the child.
// Returns only when the exec failed.
void exec_command(const std::vector<std::string>& command) {
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) std::signal(sig, SIG_DFL);
  std::vector<char*> argv;
  argv.reserve(command.size() + 1);
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
}

// A name bash would take from the environment as a plain variable: exporting it later is the same.
// Its own variables (BASH*, IFS, SHELLOPTS, PWD, SECONDS, ...) it reads or sets at its start.
bool plain_variable(const std::string& name) {
  static const char* const kOwn[] = {
      "ENV",          "IFS",        "SHELLOPTS", "POSIXLY_CORRECT", "PS4",     "EUID",     "UID",      "PPID",
      "PWD",          "OLDPWD",     "SHLVL",     "LINENO",          "RANDOM",  "SRANDOM",  "SECONDS",  "EPOCHREALTIME",
      "EPOCHSECONDS", "GROUPS",     "FUNCNAME",  "DIRSTACK",        "HISTCMD", "HOSTNAME", "HOSTTYPE", "MACHTYPE",
      "OSTYPE",       "PIPESTATUS", "OPTIND",    "OPTARG",          "REPLY",   "MAPFILE",  "COPROC",   "_"};
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) || name.rfind("BASH", 0) == 0 || name.rfind("COMP_", 0) == 0 ||
      name.rfind("READLINE_", 0) == 0)
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return std::none_of(std::begin(kOwn), std::end(kOwn), [&](const char* own) { return name == own; });
}

// A bash started before its request, waiting in its startup on $BASH_ENV, a pipe that orch's
// agent holds: the request's arguments and environment go in there, and bash then opens and runs
// the script as `bash main.sh ARGS` would have (same $0, BASH_SOURCE, line numbers), without the
// exec, dynamic linking and startup a request would otherwise wait for (~2.5 ms of a pooled bash
// run on a 2-core VM).
class Prestarted {
 public:
  Prestarted(const std::vector<std::string>& command, const std::string& workspace) : command_(command) {
    std::string fifo = "/tmp/.orch-bash-env-" + std::to_string(::getpid());
    if (command.size() < 2 || std::getenv("BASH_ENV") || ::mkfifo(fifo.c_str(), 0600) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      // Silent when it fails: its stderr is the next run's. The request then forks its own, which says why.
      ::setenv("BASH_ENV", fifo.c_str(), 1);
      if (::chdir(workspace.c_str()) == 0) exec_command(command);
      ::_exit(127);
    }
    // Held open from the moment bash opens it (bash then blocks reading it until the request); 5 s
    // at most for its start.
    for (int tries = 0; pid_ > 0 && tries < 5000 && fd_ < 0; ++tries) {
      fd_ = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd_ >= 0 || errno != ENXIO) break;
      if (::waitpid(pid_, nullptr, WNOHANG) != 0) pid_ = -1;  // it ended (or is not ours): nothing to wait for
      else ::usleep(1000);
    }
    ::unlink(fifo.c_str());
    if (fd_ >= 0) ::fcntl(fd_, F_SETFL, 0);
    else drop();
  }
  ~Prestarted() { drop(); }

  // Runs `command` with `env` added, when the bash fits (the same interpreter and script; plain
  // variables): returns its pid, or -1 and the caller forks its own.
  pid_t run(const std::vector<std::string>& command, const nlohmann::json& env) {
    if (fd_ < 0 || command.size() < command_.size() || !std::equal(command_.begin(), command_.end(), command.begin())) return drop();
    std::string prologue = "set --";
    for (size_t i = command_.size(); i < command.size(); ++i) prologue += " " + sh_quote(command[i]);
    prologue += "\n";
    for (auto it = env.begin(); env.is_object() && it != env.end(); ++it) {
      if (!it->is_string() || !plain_variable(it.key()) || it->get<std::string>().find('\0') != std::string::npos) return drop();
      prologue += "export " + it.key() + "=" + sh_quote(it->get<std::string>()) + "\n";
    }
    // What bash's own start leaves: no BASH_ENV, SECONDS from now, $_ its name.
    prologue += "unset BASH_ENV\nSECONDS=0\n: " + sh_quote(command_[0]) + "\n";
    write_all(fd_, prologue);
    ::close(fd_);
    fd_ = -1;
    pid_t pid = pid_;
    pid_ = -1;
    return pid;
  }

 private:
  pid_t drop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);  // before its pipe closes: on its end, bash would go on to the script
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    if (fd_ >= 0) ::close(fd_);
    pid_ = fd_ = -1;
    return -1;
  }

  std::vector<std::string> command_;
  pid_t pid_ = -1;
  int fd_ = -1;
};

}  // namespace

bool unpack_input(std::string_view archive, const std::string& into, std::map<std::string, std::string>& own, std::string& error) {
  std::vector<tar::Entry> entries;
  try {
    entries = tar::read(archive);
  } catch (const Error& e) {
    error = e.what();
    return false;
  }
  for (const auto& e : entries) {
    if (e.path == ".orch" || e.path.rfind(".orch/", 0) == 0) {
      if (!own.count(e.path)) own[e.path] = std::string(e.data);
      continue;
    }
    if (!tar::is_safe_relative(e.path)) {
      error = "unsafe path " + e.path;
      return false;
    }
    std::string target = into + "/" + e.path;
    bool ok = make_dirs(into, e.path);
    if (ok && e.type == tar::EntryType::Dir) ok = ::mkdir(target.c_str(), e.mode & 07777) == 0 || errno == EEXIST;
    else if (ok && e.type == tar::EntryType::Symlink) ok = ::symlink(e.link.c_str(), target.c_str()) == 0;
    else if (ok && e.type == tar::EntryType::File) ok = write_file(target, e.data, e.mode);
    if (!ok) {
      error = e.path + ": " + std::strerror(errno);
      return false;
    }
  }
  return true;
}

int shell_runner(const std::string& dir, const std::vector<std::string>& prestart) {
  ::signal(SIGPIPE, SIG_IGN);  // a program that closed its end; every child goes back to the default
  // The first ping comes on stdin; with the direct sockets connected, the rest over stdout's.
  int requests = connect_direct_output(dir) ? 1 : 0;
  const char* ws = std::getenv("ORCH_WORKSPACE");
  std::string workspace = ws && *ws ? ws : "/workspace";
  std::optional<Prestarted> ready;
  if (!prestart.empty()) ready.emplace(prestart, workspace);  // before the first ping's answer: it waits when orch asks
  std::string kind, payload;
  bool got = read_frame(0, kind, payload);
  while (got && kind == "ping") {  // orch asks whether the runner is up before it offers the sandbox
    write_all(1, "\x1eORCH-READY\x1e");
    got = read_frame(requests, kind, payload);
  }
  std::map<std::string, std::string> own;
  std::string error = "no run request";
  nlohmann::json spec;
  if (got && kind == "run" && unpack_input(payload, workspace, own, error)) {
    spec = nlohmann::json::parse(own[".orch/run.json"], nullptr, false);
    error = "no command in the request";
  }
  if (!spec.is_object() || !spec.contains("command") || !spec["command"].is_array() || spec["command"].empty() ||
      ::chdir(workspace.c_str()) != 0) {
    write_all(2, "orch: could not unpack the input files: " + error + "\n");
    return 125;
  }
  payload.clear();
  std::vector<std::string> command = spec["command"].get<std::vector<std::string>>();
  std::string token = spec.value("token", "");
  const nlohmann::json env = spec.value("env", nlohmann::json::object());
  pid_t pid = ready ? ready->run(command, env) : -1;
  ready.reset();
  if (pid < 0) pid = ::fork();
  if (pid == 0) {
    for (auto it = env.begin(); env.is_object() && it != env.end(); ++it)
      if (it->is_string()) ::setenv(it.key().c_str(), it->get<std::string>().c_str(), 1);
    exec_command(command);
    write_all(2, "orch: cannot run " + command[0] + ": " + std::strerror(errno) + "\n");
    ::_exit(errno == ENOENT ? 127 : 126);
  }
  int status = 0, code = 1;
  if (pid > 0) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    code = exit_code_of(status);
  }
  std::string end = "\x1eORCH-END-" + token + " " + std::to_string(code) + "\x1e";
  write_all(1, end);
  write_all(2, end);
  if (auto linger = spec.find("linger_s"); linger != spec.end() && linger->is_number_unsigned()) {
    unsigned s = std::min(linger->get<unsigned>(), 60U);
    // With direct output orch closes the socket on stdout before it removes the sandbox: exiting
    // then spares the engine a kill.
    if (requests == 1) {
      pollfd p{1, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(s * 1000));
    } else {
      ::sleep(s);
    }
  }
  return code;
}

}  // namespace orch::sandbox
