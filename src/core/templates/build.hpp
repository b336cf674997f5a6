#pragma once
#include <functional>
#include <string>

#include "core/docker/client.hpp"
#include "core/templates/template.hpp"

namespace orch::templates {

// Builds a template's image from its folder (Dockerfile and any other files) as the build context.
// Progress lines ("Step 2/5 : RUN ...", output) go to on_line as they arrive.
void build(docker::Client& client, const Template& t, const std::function<void(const std::string&)>& on_line);

// "built" or "missing" for each template's image.
bool image_present(docker::Client& client, const Template& t);

}  // namespace orch::templates
