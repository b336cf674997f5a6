#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/templates/packages.hpp"
#include "core/templates/template.hpp"

namespace orch::templates {

// A template made from a base template plus packages (POST /v1/templates).
struct NewTemplate {
  std::string name;
  std::string base = "python";
  std::vector<std::string> packages;  // npm:left-pad, apt:jq, pip:...
  std::string description;
  std::optional<int64_t> memory_bytes;
  std::optional<double> cpus;
  std::optional<double> timeout_s;
};

// Builds the new template's image (orch/NAME:latest, progress to on_line), writes its folder
// (template.json and Dockerfile) under the user templates directory when there is one, so the CLI
// and a restarted server know it too, and adds it to the store. Conflict when the name is taken;
// PackageError naming a package that cannot be installed (nothing is registered then).
const Template& register_template(engine::Engine& engine, Store& store, const NewTemplate& t,
                                  const std::function<void(const std::string&)>& on_line);

}  // namespace orch::templates
