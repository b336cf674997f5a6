#include "core/repo/tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

#include "core/error.hpp"
#include "core/util/tar.hpp"

namespace orch::repo {

namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// Lists one folder opened without following links; entries sorted so output is stable.
std::vector<std::string> list_dir(int dirfd) {
  int dup = ::dup(dirfd);
  if (dup < 0) return {};
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return {};
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

template <class Visit>
void walk(int dirfd, const std::string& prefix, bool skip_git, Visit&& visit) {
  for (const auto& name : list_dir(dirfd)) {
    if (skip_git && name == ".git") continue;
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    std::string rel = prefix.empty() ? name : prefix + "/" + name;
    TreeEntry e;
    e.path = rel;
    e.mode = st.st_mode & 07777;
    if (S_ISREG(st.st_mode)) {
      e.kind = TreeEntry::Kind::File;
      e.size = st.st_size;
    } else if (S_ISDIR(st.st_mode)) {
      e.kind = TreeEntry::Kind::Dir;
    } else if (S_ISLNK(st.st_mode)) {
      e.kind = TreeEntry::Kind::Symlink;
      std::string target(static_cast<size_t>(std::max<off_t>(st.st_size, 0)) + 1, '\0');
      ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
      target.resize(n > 0 ? static_cast<size_t>(n) : 0);
      e.link = target;
      e.size = st.st_blocks * 512;
    } else {
      e.size = 0;
    }
    visit(e);
    if (e.kind == TreeEntry::Kind::Dir) {
      Fd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.fd >= 0) walk(sub.fd, rel, skip_git, visit);
    }
  }
}

int open_root(const std::string& root) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::BadInput, "cannot read folder '" + root + "': " + std::strerror(errno));
  return fd;
}

}  // namespace

Tree walk_tree(const std::string& root, size_t max_entries) {
  Tree t;
  t.root = root;
  Fd dir(open_root(root));
  walk(dir.fd, "", true, [&](const TreeEntry& e) {
    if (t.entries.size() >= max_entries)
      throw Error(ErrorKind::BadInput, "the repository has more than " + std::to_string(max_entries) + " files; orch refuses trees that large");
    if (e.kind == TreeEntry::Kind::File) t.file_bytes += e.size;
    t.entries.push_back(e);
  });
  return t;
}

int64_t disk_usage(const std::string& root) {
  int64_t total = 0;
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 0;
  Fd dir(fd);
  walk(dir.fd, "", false, [&](const TreeEntry& e) { total += e.size; });
  return total;
}

std::string read_tree_file(const std::string& root, const std::string& rel, int64_t max_bytes) {
  if (!tar::is_safe_relative(rel)) throw Error(ErrorKind::BadInput, "unsafe path '" + rel + "'");
  Fd cur(open_root(root));
  size_t start = 0;
  for (;;) {
    size_t slash = rel.find('/', start);
    std::string part = rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    bool last = slash == std::string::npos;
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? 0 : O_DIRECTORY);
    int next = ::openat(cur.fd, part.c_str(), flags);
    if (next < 0) throw Error(ErrorKind::BadInput, "cannot read '" + rel + "': " + std::strerror(errno));
    if (last) {
      Fd file(next);
      struct stat st {};
      if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) throw Error(ErrorKind::BadInput, "'" + rel + "' is not a regular file");
      if (st.st_size > max_bytes) throw Error(ErrorKind::BadInput, "'" + rel + "' is larger than " + std::to_string(max_bytes) + " bytes");
      std::string data(static_cast<size_t>(st.st_size), '\0');
      size_t off = 0;
      while (off < data.size()) {
        ssize_t n = ::read(file.fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      data.resize(off);
      return data;
    }
    ::close(cur.fd);
    cur.fd = next;
    start = slash + 1;
  }
}

bool link_stays_inside(const std::string& path, const std::string& target, const std::set<std::string>& links) {
  if (target.empty() || target[0] == '/') return false;
  // Depth of the folder holding the link, then walk the target's parts lexically.
  std::vector<std::string> stack;
  size_t start = 0;
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', start)) {
    stack.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  start = 0;
  while (start <= target.size()) {
    size_t slash = target.find('/', start);
    std::string part = target.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") {
      if (stack.empty()) return false;
      stack.pop_back();
    } else if (!part.empty() && part != ".") {
      stack.push_back(part);
      std::string so_far;
      for (const auto& s : stack) so_far += (so_far.empty() ? "" : "/") + s;
      // Going on through another link could climb out from wherever that link lands.
      if (slash != std::string::npos && links.count(so_far)) return false;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

std::string pack_tree(const Tree& tree, const std::string& prefix, std::vector<std::string>& warnings) {
  tar::Writer w;
  if (!prefix.empty()) w.add_dir(prefix, 0755);
  std::set<std::string> links;
  for (const auto& e : tree.entries)
    if (e.kind == TreeEntry::Kind::Symlink) links.insert(e.path);
  for (const auto& e : tree.entries) {
    std::string name = prefix + e.path;
    switch (e.kind) {
      case TreeEntry::Kind::Dir:
        w.add_dir(name, 0755);
        break;
      case TreeEntry::Kind::File:
        w.add_file(name, read_tree_file(tree.root, e.path), (e.mode & 0111) ? 0755 : 0644);
        break;
      case TreeEntry::Kind::Symlink:
        if (link_stays_inside(e.path, e.link, links)) w.add_symlink(name, e.link);
        else warnings.push_back("dropped symlink " + e.path + " -> " + e.link + " (it points outside the repository)");
        break;
      case TreeEntry::Kind::Other:
        warnings.push_back("dropped " + e.path + " (not a file, folder or symlink)");
        break;
    }
  }
  return w.finish();
}

std::string read_small_file(const Tree& tree, const std::string& rel, int64_t max_bytes) {
  for (const auto& e : tree.entries) {
    if (e.path != rel) continue;
    if (e.kind != TreeEntry::Kind::File || e.size > max_bytes) return "";
    try {
      return read_tree_file(tree.root, rel, max_bytes);
    } catch (const Error&) {
      return "";
    }
  }
  return "";
}

}  // namespace orch::repo
