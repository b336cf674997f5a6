#pragma once
#include <functional>
#include <map>
#include <string>

#include "core/engine/engine.hpp"
#include "core/error.hpp"
#include "core/templates/template.hpp"

namespace orch::templates {

// Builds a template's image from its folder (Dockerfile and any other files) as the build context.
// Progress lines ("Step 2/5 : RUN ...", output) go to on_line as they arrive.
void build(engine::Engine& engine, const Template& t, const std::function<void(const std::string&)>& on_line);
// Builds `tag` from the files (a Dockerfile and what it copies) with the labels; lines as for build().
void build_files(engine::Engine& engine, const std::map<std::string, std::string>& files, const std::string& tag,
                 const std::map<std::string, std::string>& labels, const std::function<void(const std::string&)>& on_line);

// Whether the template's image is on the engine ("built") or not ("missing").
bool image_present(engine::Engine& engine, const Template& t);

// What every caller says when a sandbox of `t` could not be made because its image is missing
// (an error with Reason::ImageMissing): the template is not built, and how to build it. `hint`
// adds another way (the CLI's --build).
Error not_built(const Template& t, const std::string& hint = "");

}  // namespace orch::templates
