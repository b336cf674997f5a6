// Files move through helper processes in the sandbox, because the engine's archive API cannot see
// the /workspace tmpfs. The helpers run as the sandbox user and resolve symbolic links inside the
// sandbox, where they live; the host only ever handles bytes, never a path from the sandbox.
#include <cstdlib>

#include "core/error.hpp"
#include "core/session/container_exec.hpp"
#include "core/session/manager.hpp"
#include "core/session/paths.hpp"

namespace orch::session {

namespace {

// Exit codes the helpers use to say why they refused.
constexpr int kRefusedOutside = 3;
constexpr int kNotFound = 4;
constexpr int kNotRegular = 5;
constexpr int kTooLarge = 6;

// Resolves /workspace/$1 (links included) into $r and refuses anything that ends up outside.
const char* kResolve =
    "set -u; p=/workspace/$1; "
    "r=$(realpath -m -- \"$p\") || exit 4; "
    "case $r in /workspace|/workspace/*) ;; *) echo \"it leads outside /workspace through a symbolic link\" >&2; exit 3;; esac; ";

// Reads exactly the announced size: Podman 4.3 may reset an exec's stream when stdin is closed, so
// the end of the data is not left to EOF.
const char* kUpload =
    "[ -d \"$r\" ] && { echo 'it is a directory' >&2; exit 5; }; "
    "d=${r%/*}; mkdir -p -- \"$d\" || exit 7; "
    "t=$(mktemp -p \"$d\" .orch-upload.XXXXXX) || exit 7; "
    "if head -c \"$3\" >\"$t\" && [ \"$(stat -c %s \"$t\")\" = \"$3\" ] && chmod \"$2\" \"$t\" && mv -f -- \"$t\" \"$r\"; then exit 0; fi; "
    "rm -f -- \"$t\"; exit 7";

// The checks look at what was opened (fd 3), not at what the path names by then: a link swapped in
// after realpath ran leads to a file on another filesystem than /workspace's own tmpfs, and is refused.
const char* kDownload =
    "[ -e \"$r\" ] || { echo 'no such file' >&2; exit 4; }; "
    "[ -f \"$r\" ] || { echo 'it is not a regular file' >&2; exit 5; }; "
    "exec 3<\"$r\" || exit 4; f=/proc/self/fd/3; "
    "[ \"$(stat -L -c %d $f)\" = \"$(stat -c %d /workspace)\" ] || "
    "{ echo 'it leads outside /workspace through a symbolic link' >&2; exit 3; }; "
    "[ -f $f ] || { echo 'it is not a regular file' >&2; exit 5; }; "
    "n=$(stat -L -c %s $f) || exit 4; "
    "[ \"$n\" -le \"$2\" ] || { echo \"it is $n bytes, over the limit of $2\" >&2; exit 6; }; "
    "exec head -c \"$2\" <&3";

const char* kList =
    "[ -e \"$r\" ] || { echo 'no such directory' >&2; exit 4; }; "
    "[ -d \"$r\" ] || { echo 'it is not a directory' >&2; exit 5; }; "
    "if [ \"$2\" = 1 ]; then exec find \"$r\" -mindepth 1 -printf '%y\\t%s\\t%T@\\t%P\\0'; fi; "
    "exec find \"$r\" -mindepth 1 -maxdepth 1 -printf '%y\\t%s\\t%T@\\t%P\\0'";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void check_helper(const ExecOutput& res, const std::string& what, const std::string& path) {
  if (res.exit_code == 0) return;
  std::string why = trim(res.err);
  std::string shown = "'" + path + "'";
  switch (res.exit_code) {
    case kRefusedOutside: throw Error(ErrorKind::BadInput, "refused path " + shown + ": " + why);
    case kNotFound: throw Error(ErrorKind::NotFound, what + " " + shown + ": " + (why.empty() ? "no such file" : why));
    case kNotRegular: throw Error(ErrorKind::BadInput, what + " " + shown + ": " + why);
    case kTooLarge: throw Error(ErrorKind::BadInput, what + " " + shown + ": " + why);
    default:
      throw Error(ErrorKind::Infrastructure, what + " " + shown + " failed (exit " + std::to_string(res.exit_code) + ")" +
                                                 (why.empty() ? "" : ": " + why));
  }
}

}  // namespace

Patience Manager::transfer_patience() const { return Patience{std::chrono::minutes(10), opts_.transfer_stall, opts_.cancelled}; }

void Manager::upload(const std::string& id_or_name, const std::string& path, const std::string& data,
                     const Owner& owner, bool executable) {
  std::string rel = workspace_relative(path, false);
  Target t = resolve(id_or_name, owner);
  engine::ExecSpec o;
  o.user = template_of(t.template_name).user;
  o.argv = {"bash", "-c", std::string(kResolve) + kUpload, "orch-upload", rel, executable ? "0755" : "0644", std::to_string(data.size())};
  auto res = exec_capture(engine_, t.container_id, o, data, 4096, transfer_patience());
  if (res.exit_code == 7 && res.err.find("No space") != std::string::npos)
    throw Error(ErrorKind::BadInput, "upload of '" + rel + "': the session's /workspace is full");
  check_helper(res, "upload of", rel);
}

std::string Manager::download(const std::string& id_or_name, const std::string& path, size_t cap, const Owner& owner) {
  std::string rel = workspace_relative(path, false);
  Target t = resolve(id_or_name, owner);
  engine::ExecSpec o;
  o.user = template_of(t.template_name).user;
  o.argv = {"bash", "-c", std::string(kResolve) + kDownload, "orch-download", rel, std::to_string(cap)};
  auto res = exec_capture(engine_, t.container_id, o, "", cap, transfer_patience());
  check_helper(res, "download of", rel);
  if (res.out_truncated) throw Error(ErrorKind::BadInput, "download of '" + rel + "': the file grew over the limit while being read");
  return std::move(res.out);
}

std::vector<FileEntry> Manager::files(const std::string& id_or_name, const std::string& dir, bool recursive,
                                      const Owner& owner) {
  std::string rel = workspace_relative(dir, true);
  Target t = resolve(id_or_name, owner);
  engine::ExecSpec o;
  o.user = template_of(t.template_name).user;
  o.argv = {"bash", "-c", std::string(kResolve) + kList, "orch-files", rel, recursive ? "1" : "0"};
  constexpr size_t kCap = 16 << 20;
  auto res = exec_capture(engine_, t.container_id, o, "", kCap, transfer_patience());
  check_helper(res, "listing of", rel.empty() ? "/workspace" : rel);
  std::vector<FileEntry> out;
  size_t start = 0;
  while (start < res.out.size()) {
    size_t end = res.out.find('\0', start);
    if (end == std::string::npos) break;  // cut off at the cap
    std::string rec = res.out.substr(start, end - start);
    start = end + 1;
    size_t t1 = rec.find('\t'), t2 = rec.find('\t', t1 + 1), t3 = rec.find('\t', t2 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos || t3 == std::string::npos) continue;
    FileEntry e;
    char kind = rec[0];
    e.type = kind == 'f' ? "file" : kind == 'd' ? "dir" : kind == 'l' ? "symlink" : "other";
    e.size = std::strtoll(rec.c_str() + t1 + 1, nullptr, 10);
    e.mtime = std::strtod(rec.c_str() + t2 + 1, nullptr);
    std::string name = rec.substr(t3 + 1);
    e.path = rel.empty() ? name : rel + "/" + name;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace orch::session
