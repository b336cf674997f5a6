#include "core/util/host_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/error.hpp"
#include "core/util/random.hpp"

namespace orch {

namespace {

// Git treats these as its own directory on some filesystems (case-folding, NTFS short names,
// trailing dots and spaces), and refuses them in trees for that reason; so do we.
bool is_git_name(std::string_view part) {
  std::string p;
  for (char c : part) p += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!p.empty() && (p.back() == '.' || p.back() == ' ')) p.pop_back();
  return p == ".git" || p == "git~1";
}

std::vector<std::string_view> split(std::string_view rel) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = rel.find('/', start);
    parts.push_back(rel.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

// One owned descriptor.
struct Fd {
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int fd;
};

// What is at `name` in `dir`, for a message: "a symbolic link", "a file", ...
std::string what_is(int dir, const std::string& name) {
  struct stat st{};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return "missing";
  if (S_ISLNK(st.st_mode)) return "a symbolic link";
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISREG(st.st_mode)) return "a file";
  return "a special file";
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// NAME.EXT -> NAME-N.EXT
std::string numbered(const std::string& name, int n) {
  size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return name + "-" + std::to_string(n);
  return name.substr(0, dot) + "-" + std::to_string(n) + name.substr(dot);
}

}  // namespace

std::string unsafe_host_path_reason(std::string_view rel) {
  if (rel.empty()) return "empty name";
  if (rel.find('\0') != std::string_view::npos) return "the name holds a NUL byte";
  if (rel.front() == '/') return "absolute path";
  if (rel.find('\\') != std::string_view::npos) return "the name holds a backslash";
  if (rel.size() > PATH_MAX / 2) return "path longer than " + std::to_string(PATH_MAX / 2) + " bytes";
  for (auto part : split(rel)) {
    if (part.empty()) return "empty path component";
    if (part == "." || part == "..") return std::string("'").append(part).append("' component");
    if (part.size() > NAME_MAX) return "a component longer than " + std::to_string(NAME_MAX) + " bytes";
    if (is_git_name(part)) return "a path into .git";
  }
  return "";
}

HostDir HostDir::open(const std::string& path, bool force) {
  if (path.empty()) throw Error(ErrorKind::BadInput, "the output directory is empty");
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw Error(ErrorKind::BadInput, "cannot create '" + path + "': " + ec.message());
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::BadInput, "cannot open '" + path + "': " + std::strerror(errno));
  HostDir dir(fd, path);
  if (force) return dir;
  auto refuse = [&](const std::string& why) {
    throw Error(ErrorKind::BadInput, "refusing to write files from the sandbox into '" + path + "': " + why +
                                         " (--out-force writes there anyway)");
  };
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real))
    for (auto part : split(real))
      if (is_git_name(part)) refuse("it is inside a .git directory");
  struct stat st{};
  if (::fstatat(fd, ".git", &st, AT_SYMLINK_NOFOLLOW) == 0) refuse("it is the top of a git work tree");
  bool head = ::fstatat(fd, "HEAD", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
  bool objects = ::fstatat(fd, "objects", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
  bool refs = ::fstatat(fd, "refs", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
  if (head && objects && refs) refuse("it is a git repository");
  return dir;
}

HostDir::~HostDir() {
  if (fd_ >= 0) ::close(fd_);
}

HostDir::Outcome HostDir::write(std::string_view rel, std::string_view data, OnExists on_exists) const {
  if (auto why = unsafe_host_path_reason(rel); !why.empty()) return {"", why};
  auto parts = split(rel);
  std::string done;  // the components walked so far, for messages
  Fd dir(::dup(fd_));
  if (dir.fd < 0) return {"", std::string("cannot open the output directory: ") + std::strerror(errno)};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    std::string part(parts[i]);
    done += (done.empty() ? "" : "/") + part;
    int sub = ::openat(dir.fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0 && errno == ENOENT) {
      if (::mkdirat(dir.fd, part.c_str(), 0755) != 0 && errno != EEXIST)
        return {"", "cannot create '" + done + "': " + std::strerror(errno)};
      sub = ::openat(dir.fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (sub < 0) {
      std::string what = what_is(dir.fd, part);
      if (what == "a directory") return {"", "cannot open '" + done + "': " + std::strerror(errno)};
      return {"", "'" + done + "' is " + what + ", not a directory"};
    }
    ::close(dir.fd);
    dir.fd = sub;
  }
  std::string name(parts.back());
  std::string prefix = done.empty() ? "" : done + "/";
  std::string target = name, temp;
  int fd = -1;
  if (on_exists == OnExists::Replace) {
    if (std::string what = what_is(dir.fd, name); what != "missing" && what != "a file") return {"", "'" + prefix + name + "' is " + what};
    temp = ".orch-" + random_hex(8) + ".tmp";
    fd = ::openat(dir.fd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  } else {
    for (int n = 1; n <= 1000; ++n) {
      target = n == 1 ? name : numbered(name, n);
      fd = ::openat(dir.fd, target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd >= 0 || errno != EEXIST || on_exists == OnExists::Refuse) break;
    }
  }
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) {
      std::string what = what_is(dir.fd, target);
      return {"", what == "a file" ? "a file of that name already exists" : "'" + prefix + target + "' is " + what};
    }
    return {"", "cannot create '" + prefix + target + "': " + std::strerror(err)};
  }
  bool ok = write_all(fd, data);
  int err = errno;
  ok = (::close(fd) == 0) && ok;
  const std::string& written = temp.empty() ? target : temp;
  if (!ok) {
    ::unlinkat(dir.fd, written.c_str(), 0);
    return {"", "cannot write '" + prefix + target + "': " + std::strerror(err ? err : EIO)};
  }
  if (!temp.empty() && ::renameat(dir.fd, temp.c_str(), dir.fd, name.c_str()) != 0) {
    err = errno;
    ::unlinkat(dir.fd, temp.c_str(), 0);
    return {"", "cannot replace '" + prefix + name + "': " + std::strerror(err)};
  }
  return {prefix + target, ""};
}

// 0711: others may pass through to a directory in it whose random name they cannot list.
std::string runtime_dir() {
  std::string base = ::geteuid() == 0 ? "/run/orch" : "";
  if (base.empty()) {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    base = xdg && *xdg ? std::string(xdg) + "/orch" : "/tmp/orch-" + std::to_string(::geteuid());
  }
  if (::mkdir(base.c_str(), 0711) != 0 && errno != EEXIST) return "";
  struct stat st {};
  if (::lstat(base.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) return "";
  return base;
}

}  // namespace orch
