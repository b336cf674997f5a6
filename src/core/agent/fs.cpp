#include "core/agent/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "core/agent/wire.hpp"
#include "core/util/shown.hpp"

namespace orch::agent {

using nlohmann::json;

namespace {

constexpr size_t kMaxEntries = 50000;
constexpr size_t kMaxOpen = 64;

[[noreturn]] void fail_errno(int err, const std::string& what, const std::string& path) {
  std::string code = "internal";
  switch (err) {
    case ENOENT: code = "not_found"; break;
    case EEXIST:
    case ENOTEMPTY: code = "already_exists"; break;
    case EACCES:
    case EPERM:
    case EROFS: code = "permission_denied"; break;
    case ENOTDIR:
    case EISDIR:
    case EINVAL:
    case ENAMETOOLONG:
    case ELOOP:
    case EXDEV: code = "invalid_argument"; break;
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE: code = "resource_exhausted"; break;
  }
  if (err == ENOENT) throw Failure(code, "path '" + path + "' does not exist");
  throw Failure(code, what + " '" + path + "': " + std::strerror(err));
}

// uid/gid -> name from /etc/passwd and /etc/group (a static binary has no NSS).
std::string name_of(const char* file, unsigned id) {
  static std::map<std::string, std::map<unsigned, std::string>> cache;
  auto& table = cache[file];
  if (table.empty()) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      size_t a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
      size_t c = b == std::string::npos ? b : line.find(':', b + 1);
      if (c == std::string::npos) continue;
      unsigned v = static_cast<unsigned>(std::strtoul(line.c_str() + b + 1, nullptr, 10));
      table.emplace(v, line.substr(0, a));
    }
    table.emplace(~0u, "");  // read once even when the file is missing
  }
  auto it = table.find(id);
  return it == table.end() ? std::to_string(id) : it->second;
}

std::string base_name(const std::string& path) {
  if (path == "/") return "/";
  size_t s = path.find_last_of('/');
  return s == std::string::npos ? path : path.substr(s + 1);
}

std::string parent_of(const std::string& path) {
  size_t s = path.find_last_of('/');
  return s == 0 || s == std::string::npos ? "/" : path.substr(0, s);
}

json info_from(const std::string& path, const struct stat& st) {
  const char* type = S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "symlink" : "other";
  json e = {{"name", base_name(path)},
            {"path", path},
            {"type", type},
            {"size", static_cast<int64_t>(st.st_size)},
            {"mode", static_cast<unsigned>(st.st_mode)},
            {"owner", name_of("/etc/passwd", st.st_uid)},
            {"group", name_of("/etc/group", st.st_gid)},
            {"mtime_ns", static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec}};
  if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n >= 0) e["target"] = std::string(buf, static_cast<size_t>(n));
  }
  return e;
}

void make_parents(const std::string& dir) {
  if (dir == "/" || dir.empty()) return;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) fail_errno(ENOTDIR, "cannot create directory", dir);
    return;
  }
  make_parents(parent_of(dir));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) fail_errno(errno, "cannot create directory", dir);
}

void list_into(const std::string& dir, int depth, json& out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) fail_errno(errno, "cannot list", dir);
  std::vector<std::string> subdirs;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string p = dir == "/" ? "/" + name : dir + "/" + name;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) continue;  // removed meanwhile
    if (out.size() >= kMaxEntries) {
      ::closedir(d);
      throw Failure("resource_exhausted", "directory '" + dir + "' has more than " + std::to_string(kMaxEntries) + " entries");
    }
    out.push_back(info_from(p, st));
    if (depth > 1 && S_ISDIR(st.st_mode)) subdirs.push_back(p);
  }
  ::closedir(d);
  for (const auto& s : subdirs) list_into(s, depth - 1, out);
}

int remove_one(const char* p, const struct stat*, int flag, struct FTW*) {
  int rc = flag == FTW_DP ? ::rmdir(p) : ::unlink(p);
  return rc == 0 || errno == ENOENT ? 0 : errno;
}

}  // namespace

void check_path(const std::string& path) {
  if (path.empty() || path[0] != '/') throw Failure("invalid_argument", "path '" + shown(path) + "' is not absolute");
  if (path.find('\0') != std::string::npos) throw Failure("invalid_argument", "the path holds a NUL byte");
  if (path.size() > 4096) throw Failure("invalid_argument", "the path is longer than 4096 bytes");
}

json entry_info(const std::string& path) {
  check_path(path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) fail_errno(errno, "cannot stat", path);
  return info_from(path, st);
}

json list_dir(const std::string& path, int depth) {
  check_path(path);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail_errno(errno, "cannot list", path);
  if (!S_ISDIR(st.st_mode)) throw Failure("invalid_argument", "path '" + path + "' is not a directory");
  json out = json::array();
  list_into(path, depth < 1 ? 1 : depth, out);
  return out;
}

json make_dir(const std::string& path) {
  check_path(path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) throw Failure("already_exists", "path '" + path + "' already exists");
  make_parents(parent_of(path));
  if (::mkdir(path.c_str(), 0755) != 0) fail_errno(errno, "cannot create directory", path);
  return entry_info(path);
}

json move_path(const std::string& from, const std::string& to) {
  check_path(from);
  check_path(to);
  struct stat st {};
  if (::lstat(from.c_str(), &st) != 0) fail_errno(errno, "cannot move", from);
  make_parents(parent_of(to));
  if (::rename(from.c_str(), to.c_str()) != 0) fail_errno(errno, "cannot move to", to);
  return entry_info(to);
}

void remove_path(const std::string& path) {
  check_path(path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) fail_errno(errno, "cannot remove", path);
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0) fail_errno(errno, "cannot remove", path);
    return;
  }
  int rc = ::nftw(path.c_str(), remove_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  if (rc != 0) fail_errno(rc > 0 ? rc : errno, "cannot remove", path);
}

OpenFiles::~OpenFiles() {
  for (auto& [fh, h] : open_) {
    ::close(h.fd);
    if (!h.temp.empty()) ::unlink(h.temp.c_str());
  }
}

OpenFiles::Handle& OpenFiles::get(int fh) {
  auto it = open_.find(fh);
  if (it == open_.end()) throw Failure("invalid_argument", "no open file " + std::to_string(fh));
  return it->second;
}

json OpenFiles::open_read(const std::string& path) {
  check_path(path);
  if (open_.size() >= kMaxOpen) throw Failure("resource_exhausted", "too many files open at once");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail_errno(errno, "cannot open", path);
  struct stat st {};
  ::fstat(fd, &st);
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw Failure("invalid_argument", "path '" + path + "' is a directory");
  }
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  int fh = next_++;
  open_[fh] = Handle{fd, path, "", 0644, ""};
  return {{"fh", fh}, {"size", static_cast<int64_t>(st.st_size)}};
}

std::string OpenFiles::read(int fh, size_t max, bool& eof) {
  Handle& h = get(fh);
  std::string out(max, '\0');
  size_t got = 0;
  eof = false;
  while (got < max) {
    ssize_t n = ::read(h.fd, out.data() + got, max - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno(errno, "cannot read", h.path);
    if (n == 0) {
      eof = true;
      break;
    }
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

json OpenFiles::create(const std::string& path) {
  check_path(path);
  if (open_.size() >= kMaxOpen) throw Failure("resource_exhausted", "too many files open at once");
  // As envd's write (an open with O_TRUNC): a link is written through, and a file written over keeps
  // its mode. The bytes go to a file beside the target and replace it whole at commit.
  std::string target = path;
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    target = real;
    ::free(real);
  }
  struct stat st {};
  mode_t mode = 0644;
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw Failure("invalid_argument", "path '" + path + "' is a directory");
    if (S_ISREG(st.st_mode)) mode = st.st_mode & 07777;
  }
  std::string dir = parent_of(target);
  make_parents(dir);
  std::string temp = (dir == "/" ? "" : dir) + "/.orch-write-XXXXXX";
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) fail_errno(errno, "cannot write", path);
  int fh = next_++;
  open_[fh] = Handle{fd, path, temp, mode, target};
  return {{"fh", fh}};
}

void OpenFiles::write(int fh, const std::string& data) {
  Handle& h = get(fh);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(h.fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      std::string path = h.path;
      close(fh);
      fail_errno(err, "cannot write", path);
    }
    off += static_cast<size_t>(n);
  }
}

json OpenFiles::commit(int fh) {
  Handle h = get(fh);
  open_.erase(fh);
  int err = 0;
  if (::fchmod(h.fd, h.mode) != 0) err = errno;
  if (::close(h.fd) != 0 && !err) err = errno;
  if (!err && ::rename(h.temp.c_str(), h.target.c_str()) != 0) err = errno;
  if (err) {
    ::unlink(h.temp.c_str());
    fail_errno(err, "cannot write", h.path);
  }
  return entry_info(h.path);
}

void OpenFiles::close(int fh) {
  auto it = open_.find(fh);
  if (it == open_.end()) return;
  ::close(it->second.fd);
  if (!it->second.temp.empty()) ::unlink(it->second.temp.c_str());
  open_.erase(it);
}

}  // namespace orch::agent
