#include "core/templates/build.hpp"

#include "core/templates/fetch.hpp"
#include "core/util/tar.hpp"

namespace orch::templates {

void build(engine::Engine& engine, const Template& t, const std::function<void(const std::string&)>& on_line) {
  std::map<std::string, std::string> files = t.files;
  if (!t.fetch.empty()) {
    std::string arch = engine.info().arch;
    for (auto& [path, data] : fetch_build_files(t, arch.empty() ? "amd64" : arch, on_line)) files[path] = std::move(data);
  }
  build_files(engine, files, t.image, {{"orch.template", t.name}}, on_line);
}

void build_files(engine::Engine& engine, const std::map<std::string, std::string>& files, const std::string& tag,
                 const std::map<std::string, std::string>& labels, const std::function<void(const std::string&)>& on_line) {
  tar::Writer w;
  for (const auto& [path, data] : files) w.add_file(path, data, 0644);
  engine.build_image(engine::ImageBuild{w.finish(), tag, labels}, on_line);
}

bool image_present(engine::Engine& engine, const Template& t) { return engine.image_exists(t.image); }

Error not_built(const Template& t, const std::string& hint) {
  return Error(ErrorKind::Unavailable, "template '" + t.name + "' is not built (image " + t.image + " missing): run 'orch templates build " +
                                           t.name + "'" + hint,
               Reason::ImageMissing);
}

}  // namespace orch::templates
