#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine/engine.hpp"

namespace orch::session {

// Labels sessions carry besides the standard ones in sandbox/spec.hpp.
inline constexpr const char* kLabelName = "orch.name";        // the human name (unique)
inline constexpr const char* kLabelNet = "orch.net";          // none | bridge | private
inline constexpr const char* kLabelSession = "orch.session";  // on services: their session's id
inline constexpr const char* kLabelService = "orch.service";  // on services: their name
inline constexpr const char* kLabelPort = "orch.service.port";
inline constexpr const char* kLabelHome = "orch.home";    // the session user's home
inline constexpr const char* kLabelEnv = "orch.env";      // the session's own environment, as JSON
inline constexpr const char* kLabelAgent = "orch.agent";  // where the agent binary is in the container
inline constexpr const char* kLabelAttrPrefix = "orch.attr.";
inline constexpr const char* kLabelPooled = "orch.pooled";  // made ahead by a pool; its claim volume says whose it is

struct ServiceInfo {
  std::string name;  // also its host name on the session's network
  std::string image;
  std::string container_id;
  std::string state;  // engine::state_name: running, exited, ...
  int port = 0;
  std::string url;  // http://NAME:PORT, reachable from the session only
};

struct Record {
  std::string id;  // s-<12 hex>
  std::string name;
  std::string container_id;
  std::string template_name;
  std::string owner;
  std::string network;  // none | bridge | private
  std::string state;    // engine::state_name: running, exited, removing, ...
  int64_t created = 0;
  int64_t expires = 0;  // the live expiry (extend moves it), unix seconds
  std::map<std::string, std::string> labels;  // the caller's own labels
  std::vector<ServiceInfo> services;
  std::string home = "/workspace";
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> attributes;  // the creating layer's own (never in to_json)
  std::string agent_path;
  bool pooled = false;  // its owner, labels and environment live in its claim volume
};

// The engine keeps the live expiry with the sandbox (SandboxSpec::expires; Docker in the container
// name, since labels cannot change) and reports it in the one list call, so `ls` needs no exec per session.
std::string service_sandbox_name(const std::string& id, const std::string& service);
std::string network_name(const std::string& id);
// A pooled session's sandbox is named "orch-pool-ID"; it is a session once its claim (an engine
// record named claim_record_name(ID)) exists.
std::string pool_sandbox_name(const std::string& id);
std::string claim_record_name(const std::string& id);

// Builds a record from one listed sandbox labelled orch.kind=session.
Record record_from_listing(const engine::SandboxInfo& c);
ServiceInfo service_from_listing(const engine::SandboxInfo& c);

// A host name for a service from the name a caller asked for: lowercase letters, digits and '-', at
// most 31 characters (research_cache -> research-cache); "" when nothing usable is left.
std::string service_host_name(const std::string& requested);

bool valid_session_id(const std::string& s);
nlohmann::json to_json(const Record& r);
nlohmann::json to_json(const ServiceInfo& s);
ServiceInfo service_from_json(const nlohmann::json& j);

}  // namespace orch::session
