#include "core/repo/open.hpp"

#include <filesystem>

#include "core/error.hpp"

namespace orch::repo {

Opened open_repository(const std::string& input, const CloneOptions& opts, const CloneProgress& progress) {
  Opened o;
  o.source = parse_source(input);
  if (o.source.kind == Source::Kind::LocalPath) {
    std::error_code ec;
    if (!std::filesystem::is_directory(input, ec)) throw Error(ErrorKind::BadInput, "'" + input + "' is not a folder");
    o.path = input;
    o.commit = last_commit(input).sha;
    return o;
  }
  Checkout c = clone(o.source, opts, {}, progress);
  o.tmp = c.dir;
  o.path = c.path;
  o.commit = c.commit;
  return o;
}

}  // namespace orch::repo
