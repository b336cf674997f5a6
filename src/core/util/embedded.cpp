#include "core/util/embedded.hpp"

#include <string>

#include "core/error.hpp"

namespace orch {

std::string_view embedded_asset(std::string_view path) {
  for (const auto& f : embedded_assets())
    if (f.path == path) return f.data;
  throw Error(ErrorKind::Infrastructure, "this orch binary lacks the embedded file " + std::string(path));
}

std::string embedded_program(std::string_view path) {
  size_t dot = path.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? std::string_view() : path.substr(dot);
  std::string program;
  if (ext == ".py" || ext == ".js") {
    program = embedded_asset("lib/frames" + std::string(ext));
    program += '\n';
  }
  program += embedded_asset(path);
  return program;
}

}  // namespace orch
