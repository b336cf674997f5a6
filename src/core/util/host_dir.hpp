#pragma once
#include <string>
#include <string_view>

namespace orch {

// orch's private directory on the host, 0711 and owned by orch's user (root's under /run, anyone
// else's under their runtime directory or /tmp), or "" when it cannot be made.
std::string runtime_dir();

// What to do when a file to write already exists.
enum class OnExists {
  Refuse,   // leave it alone and report it (the default for names a sandbox chose)
  Replace,  // replace a regular file (its directory entry: a hard link elsewhere keeps its data)
  NewName,  // write beside it as NAME-2.EXT, NAME-3.EXT, ...
};

// Why a relative path chosen by a sandbox may not be written on the host, or "" when it may:
// absolute, empty, ".", "..", backslash or NUL, or a part git would take for ".git" (any case,
// trailing dots or spaces, "git~1").
std::string unsafe_host_path_reason(std::string_view rel);

// A directory on the host that files from a sandbox are written under. Every component below it
// is opened or created relative to its parent's descriptor without following links, so nothing a
// sandbox names (and no link already in the directory) leads a write outside it.
class HostDir {
 public:
  // Opens the directory the user named (the user's own path: links in it are followed as typed),
  // creating it and its parents when missing. Unless `force`, refuses a repository's top (it holds
  // .git, or is a bare repository) and any path inside a .git directory.
  static HostDir open(const std::string& path, bool force);
  HostDir(HostDir&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  HostDir& operator=(HostDir&&) = delete;
  ~HostDir();

  struct Outcome {
    std::string written;  // the relative path written (differs from the asked one with NewName)
    std::string refused;  // why nothing was written; empty on success
  };
  // Writes `data` as a regular file at `rel`, creating the directories on the way. Never throws
  // for a refused or failed file: the reason is returned so the caller can report it and go on.
  Outcome write(std::string_view rel, std::string_view data, OnExists on_exists) const;
  const std::string& path() const { return path_; }

 private:
  HostDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace orch
