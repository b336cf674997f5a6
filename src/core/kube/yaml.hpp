#pragma once
#include <string_view>

#include <nlohmann/json.hpp>

namespace orch::kube {

// Parses the YAML subset kubeconfig files are written in (`kubectl config view --raw --flatten`):
// block mappings and sequences, plain and quoted scalars, empty flow collections, comments, and
// JSON documents. Scalars stay strings except true/false/null. Throws orch::Error(BadInput) with
// the line number for anything else (anchors, block scalars, several documents).
nlohmann::json parse_yaml(std::string_view text);

}  // namespace orch::kube
