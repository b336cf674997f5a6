#include "core/session/paths.hpp"

#include <vector>

#include "core/error.hpp"
#include "core/util/shown.hpp"

namespace orch::session {

std::string workspace_relative(std::string_view path, bool allow_root) {
  auto refuse = [&](const std::string& why) -> std::string {
    throw Error(ErrorKind::BadInput, "refused path '" + shown(path) + "': " + why);
  };
  if (path.find('\0') != std::string_view::npos) return refuse("it holds a NUL byte");
  if (path.size() > 4096) return refuse("it is longer than 4096 bytes");
  std::string_view rest = path;
  if (!rest.empty() && rest.front() == '/') {
    std::string_view ws = kWorkspace;
    if (rest.substr(0, ws.size()) != ws || (rest.size() > ws.size() && rest[ws.size()] != '/'))
      return refuse("absolute paths must be inside /workspace");
    rest.remove_prefix(ws.size());
  }
  std::vector<std::string_view> parts;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") return refuse("'..' is not allowed");
    if (part.size() > 255) return refuse("a name is longer than 255 bytes");
    parts.push_back(part);
  }
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += '/';
    out.append(p);
  }
  if (out.empty() && !allow_root) return refuse("it names /workspace itself, not a file in it");
  return out;
}

std::string under_home(const std::string& path, const std::string& home) {
  if (!path.empty() && path[0] == '/') return path;
  if (path.empty() || path == "~") return home;
  if (path.rfind("~/", 0) == 0) return home + path.substr(1);
  return home + "/" + path;
}

}  // namespace orch::session
