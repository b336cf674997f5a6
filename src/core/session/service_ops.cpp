// What a session's services need after they start: stopping and removing one, and the session's
// resource use with its services'.
#include "core/error.hpp"
#include "core/sandbox/spec.hpp"
#include "core/session/manager.hpp"

namespace orch::session {

namespace {

const ServiceInfo& find_service(const Record& r, const std::string& name) {
  for (const auto& s : r.services)
    if (s.name == name || s.name == service_host_name(name)) return s;
  throw Error(ErrorKind::NotFound, "session " + r.id + " has no service '" + name.substr(0, 64) + "'");
}

}  // namespace

void Manager::stop_service(const std::string& id_or_name, const std::string& name, const Owner& owner) {
  Record r = get(id_or_name, owner);
  const ServiceInfo& s = find_service(r, name);
  // The engine's kill is a KILL: a service is often its container's first process, which ignores TERM.
  if (s.state == "running") engine_.kill(s.container_id);
}

void Manager::remove_service(const std::string& id_or_name, const std::string& name, const Owner& owner) {
  Record r = get(id_or_name, owner);
  engine_.remove(find_service(r, name).container_id);
}

std::vector<sandbox::Usage> Manager::stats(const std::string& id_or_name, const Owner& owner) {
  Record r = get(id_or_name, owner);
  auto listed = engine_.list({{sandbox::kLabelManaged, "1"}, {sandbox::kLabelKind, "session"}, {sandbox::kLabelId, r.id}});
  for (auto& s : engine_.list({{sandbox::kLabelManaged, "1"}, {kLabelSession, r.id}})) listed.push_back(std::move(s));
  return sandbox::read_usage(engine_, listed);
}

}  // namespace orch::session
