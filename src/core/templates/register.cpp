#include "core/templates/register.hpp"

#include <filesystem>
#include <fstream>

#include "core/templates/build.hpp"
#include "core/util/units.hpp"

namespace orch::templates {

namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) throw Error(ErrorKind::Infrastructure, "cannot write " + p.string());
}

}  // namespace

const Template& register_template(engine::Engine& engine, Store& store, const NewTemplate& n,
                                  const std::function<void(const std::string&)>& on_line) {
  if (store.find(n.name)) throw Error(ErrorKind::Conflict, "a template named '" + n.name + "' already exists");
  const Template& base = store.get(n.base);
  auto packages = parse_packages(n.packages);
  if (packages.empty()) throw Error(ErrorKind::BadInput, "field 'packages' must name at least one package (apt:, npm: or pip:)");
  if (!engine.image_exists(base.image)) throw not_built(base);

  nlohmann::json spec = to_json(base);
  spec.erase("source");
  spec["name"] = n.name;
  spec["image"] = "orch/" + n.name + ":latest";
  spec["description"] =
      n.description.empty() ? base.description + " with " + std::to_string(packages.size()) + " more packages" : n.description;
  spec["packages"] = base.packages;
  for (const auto& p : packages) spec["packages"].push_back(p.spec());
  // to_json writes the memory limit for people ("256.0 MiB"); template.json takes bytes.
  spec["limits"]["memory"] = std::to_string(n.memory_bytes.value_or(base.limits.memory_bytes));
  spec["limits"].erase("memory_bytes");
  if (n.cpus) spec["limits"]["cpus"] = *n.cpus;
  if (n.timeout_s) spec["limits"]["timeout"] = *n.timeout_s;
  std::string dir = user_templates_dir();
  Template t = parse(spec, dir.empty() ? "registered" : (fs::path(dir) / n.name).string(), derived_build_files(base, packages));

  on_line("building template " + t.name + " -> " + t.image + " (" + base.name + " with " + std::to_string(packages.size()) + " packages)");
  build_with_packages(engine, t, {{"orch.template", t.name}}, on_line);
  if (!dir.empty()) {
    std::error_code ec;
    fs::create_directories(fs::path(dir) / n.name, ec);
    if (ec) throw Error(ErrorKind::Infrastructure, "cannot create " + (fs::path(dir) / n.name).string() + ": " + ec.message());
    for (const auto& [name, data] : t.files) write_file(fs::path(dir) / n.name / name, data);
    write_file(fs::path(dir) / n.name / "template.json", spec.dump(2) + "\n");
  }
  return store.add(std::move(t));
}

}  // namespace orch::templates
