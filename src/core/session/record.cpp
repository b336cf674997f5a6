#include "core/session/record.hpp"

#include <cctype>
#include <cstdlib>

#include "core/sandbox/spec.hpp"
#include "core/util/random.hpp"

namespace orch::session {

using nlohmann::json;

std::string service_sandbox_name(const std::string& id, const std::string& service) { return "orch-" + id + "-svc-" + service; }

std::string pool_sandbox_name(const std::string& id) { return "orch-pool-" + id; }

std::string claim_record_name(const std::string& id) { return "orch-" + id + "-claim"; }

std::string network_name(const std::string& id) { return "orch-" + id; }

std::string service_host_name(const std::string& requested) {
  std::string out;
  for (char c : requested.substr(0, 256)) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += std::isalnum(static_cast<unsigned char>(l)) ? l : '-';
  }
  while (!out.empty() && out.front() == '-') out.erase(out.begin());
  if (out.size() > 31) out.resize(31);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

bool valid_session_id(const std::string& s) {
  if (s.size() != 14 || s.rfind("s-", 0) != 0) return false;
  for (size_t i = 2; i < s.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(s[i])) || std::isupper(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

namespace {

std::string label(const engine::SandboxInfo& c, const char* key, const std::string& otherwise = "") {
  auto it = c.labels.find(key);
  return it == c.labels.end() ? otherwise : it->second;
}

}  // namespace

Record record_from_listing(const engine::SandboxInfo& c) {
  using namespace sandbox;
  Record r;
  r.id = label(c, kLabelId);
  r.name = label(c, kLabelName);
  r.container_id = c.id;
  r.template_name = label(c, kLabelTemplate);
  r.owner = label(c, kLabelOwner);
  r.network = label(c, kLabelNet, "none");
  r.state = engine::state_name(c.state);
  r.created = std::strtoll(label(c, kLabelCreated, "0").c_str(), nullptr, 10);
  r.expires = sandbox::expiry_of(c).value_or(0);
  for (const auto& [k, v] : c.labels) {
    if (k.rfind("orch.", 0) != 0) r.labels[k] = v;
    else if (k.rfind(kLabelAttrPrefix, 0) == 0) r.attributes[k.substr(std::string(kLabelAttrPrefix).size())] = v;
  }
  r.home = label(c, kLabelHome, "/workspace");
  r.agent_path = label(c, kLabelAgent);
  r.pooled = label(c, kLabelPooled) == "1";
  json env = json::parse(label(c, kLabelEnv, "{}"), nullptr, false);
  if (env.is_object())
    for (const auto& [k, v] : env.items())
      if (v.is_string()) r.env[k] = v.get<std::string>();
  return r;
}

ServiceInfo service_from_listing(const engine::SandboxInfo& c) {
  ServiceInfo s;
  s.name = label(c, kLabelService);
  s.image = c.image;
  s.container_id = c.id;
  s.state = engine::state_name(c.state);
  s.port = static_cast<int>(std::strtol(label(c, kLabelPort, "0").c_str(), nullptr, 10));
  s.url = s.port > 0 ? "http://" + s.name + ":" + std::to_string(s.port) : "";
  return s;
}

json to_json(const ServiceInfo& s) {
  return {{"name", s.name}, {"image", s.image}, {"state", s.state}, {"port", s.port}, {"url", s.url}, {"container_id", s.container_id}};
}

ServiceInfo service_from_json(const json& s) {
  return ServiceInfo{s.value("name", ""),  s.value("image", ""), s.value("container_id", ""),
                     s.value("state", ""), s.value("port", 0),   s.value("url", "")};
}

json to_json(const Record& r) {
  json services = json::array();
  for (const auto& s : r.services) services.push_back(to_json(s));
  int64_t left = r.expires - unix_now();
  return {{"id", r.id},
          {"name", r.name},
          {"template", r.template_name},
          {"owner", r.owner},
          {"network", r.network},
          {"state", r.state},
          {"created", r.created},
          {"expires", r.expires},
          {"expires_in", left > 0 ? left : 0},
          {"labels", r.labels},
          {"services", services},
          {"container_id", r.container_id}};
}

}  // namespace orch::session
