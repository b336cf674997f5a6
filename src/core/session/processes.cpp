// Processes in a session through its agent: one `orch agent` per session and user, started on
// first use (or at create) and kept, so a process costs one round trip, not a docker exec.
#include "core/error.hpp"
#include "core/session/manager.hpp"
#include "core/session/paths.hpp"
#include "core/session/relay.hpp"

namespace orch::session {

using nlohmann::json;

// One agent's slot; `starting` keeps two callers from starting the same agent twice.

std::string Manager::uid_for(const Target& t, const std::string& user) const {
  const auto& tmpl = template_of(t.template_name);
  if (user.empty() || user == "user" || user == "sandbox" || user == tmpl.user) return tmpl.user;
  if (user == "root") return "0:0";
  throw Error(ErrorKind::BadInput, "unknown user '" + user + "' (this sandbox has 'user' and, where the server allows it, 'root')");
}

std::shared_ptr<AgentLink> Manager::agent_for(const Target& t, const std::string& user) {
  std::string uid = uid_for(t, user);
  std::shared_ptr<AgentSlot> slot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    known_[t.id] = t;
    auto& s = agents_[t.id + "/" + uid];
    if (!s) s = std::make_shared<AgentSlot>();
    slot = s;
  }
  std::lock_guard<std::mutex> starting(slot->starting);
  if (slot->link && slot->link->alive()) return slot->link;
  if (t.agent_path.empty())
    throw Error(ErrorKind::Conflict, "session " + t.id + " was made by an older orch without a process agent: make a new one");
  std::vector<std::string> env = t.env;
  env.push_back("HOME=" + (uid == "0:0" ? std::string("/root") : t.home));
  try {
    slot->link = std::make_shared<AgentLink>(engine_, t.container_id, std::vector<std::string>{t.agent_path, "agent"}, uid, t.home, env);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::Conflict) {
      drop_relays(t.id);
      throw Error(ErrorKind::NotFound, "session " + t.id + " is not running (it expired or was removed)");
    }
    throw;
  }
  return slot->link;
}

std::shared_ptr<ProcessStream> Manager::start_process(const std::string& id, const ProcessSpec& spec, const Owner& owner) {
  Target t = resolve(id, owner);
  if (spec.cmd.empty()) throw Error(ErrorKind::BadInput, "no command to run");
  json req = {{"cmd", spec.cmd},          {"args", spec.args},
              {"env", spec.env},          {"cwd", under_home(spec.cwd, t.home)},
              {"stdin", spec.stdin_open}, {"timeout_ms", spec.timeout_ms}};
  if (!spec.tag.empty()) req["tag"] = spec.tag;
  return agent_for(t, spec.user)->start(req);
}

namespace {

// The agents of a session that exist now (processes live in one of them).
template <typename Map>
std::vector<std::shared_ptr<AgentLink>> live_agents(std::mutex& mu, Map& agents, const std::string& id) {
  std::vector<std::shared_ptr<AgentLink>> out;
  std::lock_guard<std::mutex> lock(mu);
  for (auto it = agents.lower_bound(id + "/"); it != agents.end() && it->first.rfind(id + "/", 0) == 0; ++it)
    if (it->second->link && it->second->link->alive()) out.push_back(it->second->link);
  return out;
}

[[noreturn]] void no_process(int pid) { throw agent::Failure("not_found", "process with pid " + std::to_string(pid) + " not found"); }

}  // namespace

std::shared_ptr<ProcessStream> Manager::attach_process(const std::string& id, int pid, const Owner& owner) {
  Target t = resolve(id, owner);
  for (auto& a : live_agents(mu_, agents_, t.id))
    if (auto s = a->attach(pid)) return s;
  no_process(pid);
}

std::vector<ProcessInfo> Manager::list_processes(const std::string& id, const Owner& owner) {
  Target t = resolve(id, owner);
  std::vector<ProcessInfo> out;
  for (auto& a : live_agents(mu_, agents_, t.id)) {
    json r = a->call("list", json::object());
    for (const auto& p : r.value("processes", json::array())) {
      ProcessInfo i;
      i.pid = p.value("pid", 0);
      i.cmd = p.value("cmd", "");
      i.args = p.value("args", std::vector<std::string>{});
      i.env = p.value("env", std::map<std::string, std::string>{});
      i.cwd = p.value("cwd", "");
      i.tag = p.value("tag", "");
      out.push_back(std::move(i));
    }
  }
  return out;
}

void Manager::signal_process(const std::string& id, int pid, int signal, const Owner& owner) {
  Target t = resolve(id, owner);
  for (auto& a : live_agents(mu_, agents_, t.id)) {
    if (!a->has(pid)) continue;
    a->call("signal", {{"pid", pid}, {"signal", signal}});
    return;
  }
  no_process(pid);
}

void Manager::send_stdin(const std::string& id, int pid, const std::string& data, const Owner& owner) {
  Target t = resolve(id, owner);
  for (auto& a : live_agents(mu_, agents_, t.id)) {
    if (!a->has(pid)) continue;
    a->call("input", {{"pid", pid}}, data);
    return;
  }
  no_process(pid);
}

void Manager::close_stdin(const std::string& id, int pid, const Owner& owner) {
  Target t = resolve(id, owner);
  for (auto& a : live_agents(mu_, agents_, t.id)) {
    if (!a->has(pid)) continue;
    a->call("closein", {{"pid", pid}});
    return;
  }
  no_process(pid);
}

}  // namespace orch::session
