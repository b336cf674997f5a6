#include "core/util/embedded.hpp"

#include <string>

#include "core/error.hpp"

namespace orch {

std::string_view embedded_asset(std::string_view path) {
  for (const auto& f : embedded_assets())
    if (f.path == path) return f.data;
  throw Error(ErrorKind::Infrastructure, "this orch binary lacks the embedded file " + std::string(path));
}

}  // namespace orch
