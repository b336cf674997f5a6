#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine/engine.hpp"

namespace orch::sandbox {

// What one of orch's sandboxes uses now, with what it is.
struct Usage {
  std::string container_id;  // 12 characters
  std::string name;
  std::string kind;   // run | session | service | pool
  std::string id;     // orch's id (r-..., s-..., a service's s-...-svc-NAME)
  std::string owner;  // tenant
  std::string state;
  engine::ResourceUse use;
};

// The use of each running sandbox listed, several asked at once (the engine takes about a second
// for each); one that stopped meanwhile is left out.
std::vector<Usage> read_usage(engine::Engine& engine, const std::vector<engine::SandboxInfo>& sandboxes);

nlohmann::json to_json(const Usage& u);
Usage usage_from_json(const nlohmann::json& j);

}  // namespace orch::sandbox
