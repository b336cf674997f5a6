#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace orch::repo {

// One thing in a checkout, seen with lstat: links are never followed on the host.
struct TreeEntry {
  enum class Kind { File, Dir, Symlink, Other };
  std::string path;  // relative to the root, '/'-separated
  Kind kind = Kind::Other;
  int64_t size = 0;
  uint32_t mode = 0;
  std::string link;  // symlink target, as stored
};

struct Tree {
  std::string root;
  std::vector<TreeEntry> entries;  // parents before children, sorted within a folder
  int64_t file_bytes = 0;          // sum of regular files
};

// The last part of a '/'-separated path.
inline std::string base_name(const std::string& p) {
  auto s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

// Walks root without following links, skipping .git folders. Throws orch::Error(BadInput) past max_entries.
Tree walk_tree(const std::string& root, size_t max_entries = 200000);
// Bytes under root (including .git), for size limits while cloning; never follows links.
int64_t disk_usage(const std::string& root);
// Reads root/rel, refusing to pass through any symlink on the way. Throws orch::Error(BadInput).
std::string read_tree_file(const std::string& root, const std::string& rel, int64_t max_bytes = INT64_MAX);
// A small config file of the tree ("package.json"): "" when it is not a regular file, too big or unreadable.
std::string read_small_file(const Tree& tree, const std::string& rel, int64_t max_bytes = 512 << 10);
// True when a symlink at `path` (relative to the root) pointing at `target` resolves inside the root;
// a target that goes on through another link (`links`) is refused, since that link may climb out.
bool link_stays_inside(const std::string& path, const std::string& target, const std::set<std::string>& links = {});
// A tar of the tree with every path under `prefix` ("src/"); links leaving the tree are dropped
// with a warning, everything else that is not a file, folder or link too.
std::string pack_tree(const Tree& tree, const std::string& prefix, std::vector<std::string>& warnings);

}  // namespace orch::repo
