#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/repo/clone.hpp"
#include "core/repo/tree.hpp"

namespace orch::repo {

struct LanguageStat {
  std::string name;
  int files = 0;
  int64_t lines = 0;
  int64_t bytes = 0;
};

struct Analysis {
  std::string source;
  std::string commit;
  int files = 0, folders = 0, symlinks = 0;
  int64_t bytes = 0;
  std::vector<LanguageStat> languages;  // most lines first
  std::vector<std::string> build_systems, test_systems, entry_points;
  CommitInfo last_commit;
  std::vector<std::pair<std::string, int64_t>> largest_files;  // biggest first
};

// The language a file is written in, from its name ("" for data, binaries and unknown kinds).
std::string language_of(const std::string& path);

// Reads the tree on the host (nothing in it runs); `git_dir` is where `git log` may look ("" = skip).
Analysis analyze_tree(const Tree& tree, const std::string& git_dir, size_t top_n = 10);
nlohmann::json to_json(const Analysis& a);

}  // namespace orch::repo
