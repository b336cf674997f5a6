#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/repo/remote_check.hpp"
#include "core/repo/source.hpp"

namespace orch::repo {

struct CloneOptions {
  std::string ref;               // branch, tag or commit; empty = the remote's HEAD
  bool submodules = false;
  double timeout_s = 300;
  int64_t max_bytes = 256LL << 20;  // checkout plus .git
  std::string token;             // sent to https GitHub URLs only, never in argv or output
  RemotePolicy remote;           // which hosts the clone may reach (enforced for the server's jobs)
};

// A private temporary folder, removed with everything in it when the last owner lets go.
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Checkout {
  std::shared_ptr<TempDir> dir;
  std::string path;    // the working tree
  std::string commit;  // full SHA checked out
};

// Why a clone failed; the CLI maps this to exit code 3.
class CloneError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using CloneProgress = std::function<void(const std::string& line)>;

// Fetches one commit (shallow where the server allows) into a temporary folder with hooks off,
// no credential prompts and no submodules unless asked. Under an enforced RemotePolicy the host
// is checked and git held to the checked address, and submodules are refused. Throws CloneError naming the cause
// (redacted), orch::Error(Infrastructure) when git itself is missing.
Checkout clone(const Source& src, const CloneOptions& opts, const std::function<bool()>& cancelled = {},
               const CloneProgress& progress = {});

// The environment every git call gets: no user or system config, no prompts, the token (if any)
// as an http.extraHeader scoped to https://github.com/. Exposed for tests.
std::vector<std::string> git_environment(const Source& src, const CloneOptions& opts, const std::string& home);
// Options put before every git subcommand (hooks off, fsmonitor off, ext:: off, file:// only for local sources).
std::vector<std::string> git_safety_args(const Source& src);

// Runs `git log -1` in a checkout: {sha, author, email, date (ISO 8601), subject}; empty fields when not a repository.
struct CommitInfo {
  std::string sha, author, email, date, subject;
};
CommitInfo last_commit(const std::string& dir);

}  // namespace orch::repo
