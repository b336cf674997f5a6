#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace orch::session {

// Labels sessions carry besides the standard ones in sandbox/spec.hpp.
inline constexpr const char* kLabelName = "orch.name";        // the human name (unique)
inline constexpr const char* kLabelNet = "orch.net";          // none | bridge | private
inline constexpr const char* kLabelSession = "orch.session";  // on services: their session's id
inline constexpr const char* kLabelService = "orch.service";  // on services: their name
inline constexpr const char* kLabelPort = "orch.service.port";

struct ServiceInfo {
  std::string name;  // also its host name on the session's network
  std::string image;
  std::string container_id;
  std::string state;  // Docker's: running, exited, ...
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
  std::string state;    // Docker's: running, exited, removing, ...
  int64_t created = 0;
  int64_t expires = 0;  // the live expiry (extend moves it), unix seconds
  std::map<std::string, std::string> labels;  // the caller's own labels
  std::vector<ServiceInfo> services;
};

// The container name carries the live expiry ("orch-s-0123456789ab-x1712345678"), because labels
// cannot change and the name comes back in the one list call, so `ls` needs no exec per session.
std::string container_name(const std::string& id, int64_t expires);
std::string service_container_name(const std::string& id, const std::string& service, int64_t expires);
std::string network_name(const std::string& id);

// Builds a record from one entry of GET /containers/json (a container labelled orch.kind=session).
Record record_from_listing(const nlohmann::json& c);
ServiceInfo service_from_listing(const nlohmann::json& c);

bool valid_session_id(const std::string& s);
nlohmann::json to_json(const Record& r);

}  // namespace orch::session
