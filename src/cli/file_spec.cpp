#include "cli/file_spec.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "cli/common.hpp"
#include "core/error.hpp"

namespace orch::cli {

namespace fs = std::filesystem;

sandbox::FileInput read_file_spec(const std::string& spec) {
  // LOCAL[:REMOTE]; a colon inside LOCAL that names an existing file wins.
  std::string local = spec, remote;
  auto colon = spec.rfind(':');
  if (colon != std::string::npos && !fs::exists(spec)) {
    local = spec.substr(0, colon);
    remote = spec.substr(colon + 1);
  }
  while (remote.rfind("/workspace/", 0) == 0) remote = remote.substr(11);
  // A REMOTE naming a directory (empty, or ending in /) keeps the local file name, as cp does.
  if (remote.empty() || remote.back() == '/') remote += fs::path(local).filename().string();
  struct stat st {};
  if (::stat(local.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw Error(ErrorKind::BadInput, "--file '" + local + "' is not a regular file");
  sandbox::FileInput f{remote, read_file_or_throw(local, "--file"), (st.st_mode & 0111) ? 0755u : 0644u};
  return f;
}

}  // namespace orch::cli
