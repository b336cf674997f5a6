#include "cli/out_dir.hpp"
#include "core/util/shown.hpp"

#include <iostream>

namespace orch::cli {

void save_artifacts(sandbox::RunResult& res, const HostDir& dir, bool overwrite) {
  std::vector<sandbox::Artifact> saved;
  for (auto& a : res.artifacts) {
    auto r = dir.write(a.path, a.data, overwrite ? OnExists::Replace : OnExists::Refuse);
    if (r.refused.empty()) saved.push_back(std::move(a));
    else res.artifacts_skipped.push_back({a.path, r.refused});
  }
  res.artifacts = std::move(saved);
}

void report_skipped(const std::vector<sandbox::SkippedArtifact>& skipped) {
  bool exists = false;
  for (const auto& s : skipped) {
    std::cerr << "orch: not saved: " << (s.path.empty() ? "(files in /workspace/out)" : shown(s.path, 4096)) << ": " << s.reason << "\n";
    exists = exists || s.reason.find("already exists") != std::string::npos;
  }
  if (exists) std::cerr << "orch: --out-overwrite replaces files that already exist\n";
}

}  // namespace orch::cli
