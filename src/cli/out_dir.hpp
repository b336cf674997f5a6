#pragma once
#include <optional>
#include <string>

#include "core/sandbox/run.hpp"
#include "core/util/host_dir.hpp"

namespace orch::cli {

// --out DIR with --out-overwrite and --out-force; the directory is opened before anything runs.
struct OutFlags {
  std::optional<HostDir> dir;
  bool overwrite = false;
  bool force = false;
};

// Writes a run's files under the directory; a file refused there (it exists, a link or a file is
// in the way) moves from `artifacts` to `artifacts_skipped` with the reason.
void save_artifacts(sandbox::RunResult& res, const HostDir& dir, bool overwrite);

// One stderr line per file that was not saved, and what to do about it.
void report_skipped(const std::vector<sandbox::SkippedArtifact>& skipped);

}  // namespace orch::cli
