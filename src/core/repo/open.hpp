#pragma once
#include <memory>
#include <string>

#include "core/repo/clone.hpp"
#include "core/repo/source.hpp"

namespace orch::repo {

// A repository ready to read on the host (never to run): a local folder as it is, or a fresh clone.
struct Opened {
  Source source;
  std::shared_ptr<TempDir> tmp;  // set when cloned; removed with the last copy
  std::string path;
  std::string commit;  // "" for a folder that is not a git repository
};

// Local folders are read in place (uncommitted files included); URLs are cloned shallowly.
// Throws CloneError when the clone fails.
Opened open_repository(const std::string& input, const CloneOptions& opts, const CloneProgress& progress = {});

}  // namespace orch::repo
