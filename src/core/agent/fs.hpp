#pragma once
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace orch::agent {

// File operations the agent performs inside the sandbox, as the sandbox's user: paths are resolved
// by the sandbox's own kernel view (its mount namespace, its links), never by the host. Each throws
// agent::Failure with the code the caller maps (not_found, already_exists, ...).

// Refuses what no file operation accepts: a relative path, a NUL byte, more than 4096 bytes.
void check_path(const std::string& path);

// {name, path, type (file|dir|symlink|other), size, mode (st_mode), owner, group, mtime_ns, target?}
nlohmann::json entry_info(const std::string& path);
nlohmann::json list_dir(const std::string& path, int depth);
nlohmann::json make_dir(const std::string& path);  // with parents; already_exists when present
nlohmann::json move_path(const std::string& from, const std::string& to);
void remove_path(const std::string& path);  // recursive, never following links

// Open files by handle: reads stream a file in pieces; writes go to a temporary file beside the
// target that replaces it on commit, so a failed upload never leaves half a file.
class OpenFiles {
 public:
  ~OpenFiles();
  nlohmann::json open_read(const std::string& path);  // {fh, size}
  std::string read(int fh, size_t max, bool& eof);
  nlohmann::json create(const std::string& path);  // {fh}; parents are made
  void write(int fh, const std::string& data);
  nlohmann::json commit(int fh);  // the entry written
  void close(int fh);             // a write not committed is discarded

 private:
  struct Handle {
    int fd = -1;
    std::string path, temp;
    mode_t mode = 0644;  // a new file's, or the one it replaces
    std::string target;  // what a link at `path` leads to, written through
  };
  Handle& get(int fh);
  std::map<int, Handle> open_;
  int next_ = 1;
};

}  // namespace orch::agent
