#pragma once
#include "core/engine/engine.hpp"
#include "core/templates/template.hpp"

namespace orch::cli {

// Builds a template's image, showing its steps on stderr (every line with verbose).
void build_template(engine::Engine& engine, const templates::Template& t, bool verbose);

}  // namespace orch::cli
