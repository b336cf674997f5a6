#include "core/repo/clone.hpp"

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "core/error.hpp"
#include "core/repo/process.hpp"
#include "core/repo/tree.hpp"
#include "core/util/base64.hpp"
#include "core/util/shown.hpp"
#include "core/util/units.hpp"

namespace orch::repo {

namespace fs = std::filesystem;

TempDir::TempDir(const std::string& tag) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/orch-" + tag + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw Error(ErrorKind::Infrastructure, "cannot create a temporary folder under " + tmpl);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);  // remove_all never follows symlinks, it removes them
}

std::vector<std::string> git_safety_args(const Source& src) {
  std::vector<std::string> a = {"-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
                                "-c", "protocol.ext.allow=never", "-c", "credential.helper=",
                                "-c", "transfer.fsckObjects=true", "-c", "advice.detachedHead=false",
                                "-c", "submodule.recurse=false"};
  // git refuses file:// for submodules by default; the top-level clone of a local path needs it.
  if (src.is_local()) a.insert(a.end(), {"-c", "protocol.file.allow=always"});
  return a;
}

std::vector<std::string> git_environment(const Source& src, const CloneOptions& o, const std::string& home) {
  std::vector<std::string> env = {"HOME=" + home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
                                  "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=/bin/false", "SSH_ASKPASS=/bin/false",
                                  "GIT_SSH_COMMAND=ssh -o BatchMode=yes -o ConnectTimeout=30", "LC_ALL=C",
                                  "GIT_PROTOCOL_FROM_USER=0"};
  for (const char* keep : {"PATH", "SSH_AUTH_SOCK", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"})
    if (const char* v = std::getenv(keep)) env.push_back(std::string(keep) + "=" + v);
  if (!o.token.empty() && src.is_github()) {
    env.push_back("GIT_CONFIG_COUNT=1");
    env.push_back("GIT_CONFIG_KEY_0=http.https://github.com/.extraheader");
    env.push_back("GIT_CONFIG_VALUE_0=Authorization: Basic " + base64_encode("x-access-token:" + o.token));
  }
  return env;
}

namespace {

bool looks_like_sha(const std::string& ref) {
  static const std::regex sha("^[0-9a-fA-F]{7,64}$");
  return std::regex_match(ref, sha);
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  auto nl = t.find_last_of("\n\r");
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

// The lines of git's stderr worth showing: "fatal:" and "error:" lines, else the last line.
std::string git_complaint(const std::string& err) {
  std::string out;
  size_t start = 0;
  while (start < err.size()) {
    size_t nl = err.find_first_of("\r\n", start);
    std::string line = err.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (line.rfind("fatal:", 0) == 0 || line.rfind("error:", 0) == 0 || line.rfind("remote: ", 0) == 0)
      out += (out.empty() ? "" : "; ") + line;
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out.empty() ? last_line(err) : out;
}

class GitRunner {
 public:
  GitRunner(const Source& src, const CloneOptions& o, const std::string& home, const std::string& work,
            const std::function<bool()>& cancelled, const CloneProgress& progress, const PinnedGit& pinned)
      : src_(src), o_(o), env_(git_environment(src, o, home)), work_(work), cancelled_(cancelled), progress_(progress), pinned_(pinned) {
    if (!pinned.ssh_options.empty())
      for (auto& e : env_)
        if (e.rfind("GIT_SSH_COMMAND=", 0) == 0) e += " " + pinned.ssh_options;
  }

  ProcessResult run(const std::vector<std::string>& args, double timeout_s) {
    ProcessOptions p;
    p.argv = {"git"};
    auto safety = git_safety_args(src_);
    p.argv.insert(p.argv.end(), safety.begin(), safety.end());
    for (const auto& kv : pinned_.config) p.argv.insert(p.argv.end(), {"-c", kv});
    p.argv.insert(p.argv.end(), args.begin(), args.end());
    p.env = env_;
    p.cwd = work_;
    p.timeout_s = timeout_s;
    p.keep_going = [this] {
      if (cancelled_ && cancelled_()) return false;
      size_ = disk_usage(work_);
      return size_ <= o_.max_bytes;
    };
    if (progress_) {
      p.on_stderr = [this](std::string_view chunk) {
        std::string line = last_line(std::string(chunk));
        if (!line.empty()) progress_(redact(line, {o_.token}));
      };
    }
    return run_process(p);
  }

  // Throws CloneError for any failure; `what` says which step.
  void check(const ProcessResult& r, const std::string& what) {
    if (r.stopped && cancelled_ && cancelled_()) throw CloneError("cancelled while " + what);
    if (r.stopped || size_ > o_.max_bytes) throw too_large();
    if (r.timed_out) throw CloneError(what + " timed out after " + std::to_string(static_cast<int>(o_.timeout_s)) + "s (raise --clone-timeout)");
    if (r.exit_code != 0) throw CloneError(what + " failed: " + redact(git_complaint(r.err), {o_.token}));
  }

  CloneError too_large() const {
    return CloneError("repository " + src_.display + " is larger than the limit of " + format_bytes(o_.max_bytes) +
                      " (raise --max-size)");
  }
  int64_t size() const { return size_; }

 private:
  const Source& src_;
  const CloneOptions& o_;
  std::vector<std::string> env_;
  std::string work_;
  const std::function<bool()>& cancelled_;
  const CloneProgress& progress_;
  const PinnedGit& pinned_;
  int64_t size_ = 0;
};

}  // namespace

Checkout clone(const Source& src, const CloneOptions& o, const std::function<bool()>& cancelled, const CloneProgress& progress) {
  if (!o.ref.empty() && (o.ref[0] == '-' || o.ref.find("..") != std::string::npos || o.ref.find_first_of(" \t\n:~^?*[\\") != std::string::npos))
    throw Error(ErrorKind::BadInput, "--ref '" + shown(o.ref, 100) + "' is not a valid branch, tag or commit name");
  PinnedGit pinned{{}, src.url, ""};
  if (auto pin = check_remote(src, o.remote)) {
    if (o.submodules) throw Error(ErrorKind::BadInput, "submodules are not fetched here: their URLs come from the repository, not from you");
    pinned = pin_git(src, *pin);
  }
  Checkout c;
  c.dir = std::make_shared<TempDir>("repo");
  c.path = c.dir->path() + "/src";
  fs::create_directory(c.path);
  GitRunner git(src, o, c.dir->path(), c.path, cancelled, progress, pinned);
  // An empty --template leaves .git/hooks empty: no sample or planted hook can exist.
  git.check(git.run({"init", "-q", "--template=", "."}, 30), "git init");
  git.check(git.run({"remote", "add", "origin", pinned.url}, 30), "git remote add");
  std::string want = o.ref.empty() ? "HEAD" : o.ref;
  if (progress) progress("fetching " + src.display + (o.ref.empty() ? "" : " at " + o.ref));
  auto fetched = git.run({"fetch", "-q", "--progress", "--depth", "1", "--no-tags", "--no-recurse-submodules", "origin", want}, o.timeout_s);
  if (fetched.exit_code != 0 && !fetched.timed_out && !fetched.stopped && looks_like_sha(o.ref)) {
    // Servers that refuse a bare commit (or a short SHA) need the full history to find it.
    fetched = git.run({"fetch", "-q", "--progress", "--no-tags", "--no-recurse-submodules", "origin"}, o.timeout_s);
    git.check(fetched, "fetching " + src.display);
    git.check(git.run({"checkout", "-q", "--no-recurse-submodules", o.ref}, 120), "checking out " + o.ref);
  } else {
    git.check(fetched, "fetching " + src.display + (o.ref.empty() ? "" : " at " + o.ref));
    git.check(git.run({"checkout", "-q", "--no-recurse-submodules", "FETCH_HEAD"}, 120), "checking out " + want);
  }
  if (o.submodules) {
    if (progress) progress("fetching submodules");
    // Submodule URLs come from the repository: a local path or file:// there would copy any
    // repository on this host into the sandbox, so only the top-level clone may be local.
    git.check(git.run({"-c", "protocol.file.allow=never", "submodule", "update", "--init", "--recursive", "--depth", "1"}, o.timeout_s),
              "fetching submodules (a submodule on this host's disk, a path or file://, is not fetched)");
  }
  if (disk_usage(c.path) > o.max_bytes) throw git.too_large();
  auto head = git.run({"rev-parse", "HEAD"}, 30);
  git.check(head, "git rev-parse");
  c.commit = last_line(head.out);
  return c;
}

CommitInfo last_commit(const std::string& dir) {
  CommitInfo info;
  std::error_code ec;
  if (!fs::exists(fs::path(dir) / ".git", ec)) return info;
  Source local;
  local.kind = Source::Kind::LocalPath;
  ProcessOptions p;
  p.argv = {"git"};
  auto safety = git_safety_args(local);
  p.argv.insert(p.argv.end(), safety.begin(), safety.end());
  p.argv.insert(p.argv.end(), {"-c", "safe.directory=*", "log", "-1", "--no-show-signature", "--format=%H%x00%an%x00%ae%x00%aI%x00%s"});
  p.env = git_environment(local, {}, "/nonexistent");
  p.cwd = dir;
  p.timeout_s = 30;
  auto r = run_process(p);
  if (r.exit_code != 0) return info;
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t z = r.out.find('\0'); ; z = r.out.find('\0', start)) {
    parts.push_back(r.out.substr(start, z == std::string::npos ? std::string::npos : z - start));
    if (z == std::string::npos) break;
    start = z + 1;
  }
  if (parts.size() < 5) return info;
  while (!parts[4].empty() && (parts[4].back() == '\n')) parts[4].pop_back();
  return {parts[0], parts[1], parts[2], parts[3], parts[4]};
}

}  // namespace orch::repo
