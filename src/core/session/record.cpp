#include "core/session/record.hpp"

#include <cstdlib>

#include "core/sandbox/spec.hpp"
#include "core/util/random.hpp"

namespace orch::session {

using nlohmann::json;

std::string container_name(const std::string& id, int64_t expires) {
  return "orch-" + id + "-x" + std::to_string(expires);
}

std::string service_container_name(const std::string& id, const std::string& service, int64_t expires) {
  return "orch-" + id + "-svc-" + service + "-x" + std::to_string(expires);
}

std::string network_name(const std::string& id) { return "orch-" + id; }

bool valid_session_id(const std::string& s) {
  if (s.size() != 14 || s.rfind("s-", 0) != 0) return false;
  for (size_t i = 2; i < s.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(s[i])) || std::isupper(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

namespace {

int64_t label_int(const json& labels, const char* key) {
  return std::strtoll(labels.value(key, std::string("0")).c_str(), nullptr, 10);
}

}  // namespace

Record record_from_listing(const json& c) {
  using namespace sandbox;
  const json labels = c.value("Labels", json::object());
  Record r;
  r.id = labels.value(kLabelId, "");
  r.name = labels.value(kLabelName, "");
  r.container_id = c.value("Id", "");
  r.template_name = labels.value(kLabelTemplate, "");
  r.owner = labels.value(kLabelOwner, "");
  r.network = labels.value(kLabelNet, "none");
  r.state = c.value("State", "");
  r.created = label_int(labels, kLabelCreated);
  r.expires = sandbox::expiry_of(c).value_or(0);
  for (const auto& [k, v] : labels.items())
    if (k.rfind("orch.", 0) != 0 && v.is_string()) r.labels[k] = v.get<std::string>();
  return r;
}

ServiceInfo service_from_listing(const json& c) {
  const json labels = c.value("Labels", json::object());
  ServiceInfo s;
  s.name = labels.value(kLabelService, "");
  s.image = c.value("Image", "");
  s.container_id = c.value("Id", "");
  s.state = c.value("State", "");
  s.port = static_cast<int>(std::strtol(labels.value(kLabelPort, std::string("0")).c_str(), nullptr, 10));
  s.url = s.port > 0 ? "http://" + s.name + ":" + std::to_string(s.port) : "";
  return s;
}

json to_json(const Record& r) {
  json services = json::array();
  for (const auto& s : r.services)
    services.push_back({{"name", s.name}, {"image", s.image}, {"state", s.state}, {"port", s.port}, {"url", s.url},
                        {"container_id", s.container_id}});
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
