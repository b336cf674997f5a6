#include "core/session/manager.hpp"

#include <algorithm>
#include <regex>
#include <set>

#include "core/error.hpp"
#include "core/sandbox/gc.hpp"
#include "core/sandbox/limits.hpp"
#include "core/sandbox/spec.hpp"
#include "core/session/boot.hpp"
#include "core/session/container_exec.hpp"
#include "core/session/pool.hpp"
#include "core/templates/build.hpp"
#include "core/templates/packages.hpp"
#include "core/util/random.hpp"
#include "core/util/shown.hpp"

namespace orch::session {

using nlohmann::json;
namespace sb = sandbox;

namespace {

engine::Labels of_kind(const char* kind) { return {{sb::kLabelManaged, "1"}, {sb::kLabelKind, kind}}; }

engine::Labels session_filters(const Owner& owner) {
  engine::Labels f = of_kind("session");
  if (owner) f[sb::kLabelOwner] = *owner;
  return f;
}

engine::Labels named(const std::string& name, const std::string& owner) {
  engine::Labels f = of_kind("session");
  f[kLabelName] = name;
  f[sb::kLabelOwner] = owner;
  return f;
}

void check_create(const CreateOptions& o) {
  sb::check_ttl(o.ttl_s);
  sb::check_network(o.network, true);
  static const std::regex name_re("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
  if (!o.name.empty() && (!std::regex_match(o.name, name_re) || valid_session_id(o.name)))
    throw Error::bad_field("name", "'" + shown(o.name, 100) +
                                       "' must be 1-63 letters, digits, '_', '.' or '-', start with a letter or digit, "
                                       "and not look like a session id");
  static const std::regex key_re("[A-Za-z0-9][A-Za-z0-9_./-]{0,127}");
  if (o.labels.size() > 32) throw Error(ErrorKind::BadInput, "at most 32 labels per session");
  for (const auto& [k, v] : o.labels) {
    if (!std::regex_match(k, key_re) || k.rfind("orch.", 0) == 0)
      throw Error(ErrorKind::BadInput, "label key '" + k + "' must be letters, digits, '_./-' and not start with 'orch.'");
    if (v.size() > 1024 || v.find('\0') != std::string::npos)
      throw Error(ErrorKind::BadInput, "label '" + k + "' has a value over 1024 bytes or with a NUL byte");
  }
  if (o.owner.empty() || o.owner.size() > 128) throw Error(ErrorKind::BadInput, "the owner must be 1-128 bytes");
  static const std::regex home_re("/workspace|/home/[a-z_][a-z0-9_-]{0,31}");
  if (!std::regex_match(o.home, home_re))
    throw Error(ErrorKind::BadInput, "the home must be /workspace or /home/NAME (got '" + o.home + "')");
  static const std::regex env_re("[A-Za-z_][A-Za-z0-9_]{0,127}");
  size_t env_bytes = 0;
  for (const auto& [k, v] : o.env) {
    if (!std::regex_match(k, env_re)) throw Error(ErrorKind::BadInput, "environment variable name '" + k.substr(0, 130) + "' is not valid");
    if (v.find('\0') != std::string::npos) throw Error(ErrorKind::BadInput, "environment variable '" + k + "' holds a NUL byte");
    env_bytes += k.size() + v.size();
  }
  if (env_bytes > 64 * 1024) throw Error(ErrorKind::BadInput, "the environment is larger than 64 KiB");
  static const std::regex attr_re("[a-z0-9][a-z0-9_.-]{0,63}");
  for (const auto& [k, v] : o.attributes)
    if (!std::regex_match(k, attr_re) || v.size() > 4096) throw Error(ErrorKind::BadInput, "bad session attribute '" + k + "'");
}

// Attaches before start so the ready line cannot be missed; the kernels travel on stdin, which
// stays open: the supervisor takes a new expiry that way (a pooled session's at its claim).
std::unique_ptr<engine::Stream> boot(engine::Engine& engine, const std::string& cid, const std::string& tar) {
  auto stream = engine.attach(cid, true);
  engine.start(cid);
  stream->write(tar);
  std::string out, err;
  auto sink = [&](engine::StreamKind kind, std::string_view d) {
    if (kind == engine::StreamKind::Stdout) out.append(d.substr(0, 4096));
    else if (err.size() < 4096) err.append(d.substr(0, 4096));
  };
  auto deadline = engine::Clock::now() + std::chrono::seconds(60);
  while (out.find(kReadyLine) == std::string::npos) {
    long n = stream->read(sink, deadline);
    if (n < 0 && engine::Clock::now() >= deadline)
      throw Error(ErrorKind::Timeout, "the session container did not become ready within 60 s");
    if (n == 0)
      throw Error(ErrorKind::Infrastructure,
                  "the session container stopped while starting" + (err.empty() ? std::string() : ": " + err));
  }
  return stream;
}

}  // namespace

Manager::Manager(engine::Engine& engine, const templates::Store& store, ManagerOptions opts)
    : engine_(engine), store_(store), opts_(opts) {}

Manager::~Manager() {
  if (pool_) pool_->stop();
}

const templates::Template& Manager::template_of(const std::string& name) const {
  const auto* t = store_.find(name);
  if (!t) throw Error(ErrorKind::Conflict, "the session's template '" + name + "' is not known to this orch");
  return *t;
}

// The agent is this binary: mounted where the engine can see the host, put in place by an engine
// that can (a Kubernetes init container), else shipped in the kernels' tar.
bool Manager::agent_in_tar() const {
  auto caps = engine_.capabilities();
  return (!caps.host_mounts || agent_binary_to_mount().empty()) && caps.agent_path.empty();
}

engine::SandboxSpec Manager::session_spec(const CreateOptions& o, const std::string& id, int64_t expires, size_t kernels_size, bool pooled,
                                          const templates::Template* with_packages) const {
  const auto& tmpl = with_packages ? *with_packages : store_.get(o.template_name);
  sb::SandboxRequest req;
  req.kind = "session";
  req.id = id;
  req.memory_bytes = o.memory_bytes;
  req.cpus = o.cpus;
  req.network = o.network == "private" ? network_name(id) : o.network == "lan" ? "bridge" : o.network;
  req.labels = {{sb::kLabelExpires, std::to_string(expires)}, {kLabelNet, o.network}, {kLabelHome, o.home}};
  if (pooled) req.labels[kLabelPooled] = "1";
  else req.labels[sb::kLabelOwner] = o.owner;
  if (!o.name.empty()) req.labels[kLabelName] = o.name;
  for (const auto& [k, v] : o.labels) req.labels[k] = v;
  for (const auto& [k, v] : o.attributes) req.labels[kLabelAttrPrefix + k] = v;
  if (!o.env.empty()) req.labels[kLabelEnv] = json(o.env).dump();
  for (const auto& [k, v] : o.env) req.env.push_back(k + "=" + v);
  engine::SandboxSpec spec = sb::sandbox_spec(tmpl, req);
  spec.lan = o.network == "lan";
  // The kernels run as the template's user, which owns /workspace. Where /workspace can belong only
  // to the sandbox's user (Podman), the supervisor runs as that user too and the janitor enforces expiry.
  if (engine_.capabilities().scratch_owner) spec.user = kSupervisorUser;
  spec.expires = expires;
  spec.remove_on_exit = true;   // when the supervisor ends the session, nothing stays
  if (pooled) spec.name = pool_sandbox_name(id);
  for (auto& e : spec.env)
    if (e.rfind("HOME=", 0) == 0) e = "HOME=" + o.home;
  if (o.home != "/workspace") spec.scratch.push_back({o.home, tmpl.limits.workspace_size, tmpl.user, "0755"});
  auto caps = engine_.capabilities();
  std::string host_agent = caps.host_mounts ? agent_binary_to_mount() : "";
  if (!host_agent.empty()) {
    spec.host_mounts.push_back({host_agent, kAgentMount, true});
    spec.labels[kLabelAgent] = kAgentMount;
  } else if (!caps.agent_path.empty()) {
    spec.with_agent = true;
    spec.labels[kLabelAgent] = caps.agent_path;
  } else {
    spec.labels[kLabelAgent] = kAgentInTar;
  }
  spec.argv = supervisor_command(expires, kernels_size);
  return spec;
}

nlohmann::json Manager::create_request(const CreateOptions& o) const {
  check_create(o);
  size_t kernels = kernel_tar(agent_in_tar()).size();
  return engine_.create_request(session_spec(o, "s-" + random_hex(12), unix_now() + o.ttl_s, kernels));
}

Record Manager::create(const CreateOptions& o) {
  check_create(o);
  auto packages = templates::parse_packages(o.with);
  const auto& tmpl = packages.empty() ? store_.get(o.template_name)
                                      : templates::with_packages(engine_, store_.get(o.template_name), packages, [](const std::string&) {});
  if (!o.name.empty()) {
    if (!engine_.list(named(o.name, o.owner)).empty()) throw Error(ErrorKind::Conflict, "a session named '" + o.name + "' already exists");
  }
  if (packages.empty())
    if (auto pooled = claim_pooled(o)) return *pooled;
  return launch(o, tmpl, false).record;
}

Manager::Launched Manager::launch(const CreateOptions& o, const templates::Template& tmpl, bool pooled) {
  std::string id = "s-" + random_hex(12);
  int64_t now = unix_now();
  int64_t expires = now + o.ttl_s;
  std::string tar = kernel_tar(agent_in_tar());
  engine::SandboxSpec spec = session_spec(o, id, expires, tar.size(), pooled, &tmpl);
  std::string net;
  if (o.network == "private") {
    net = spec.network;
    engine_.create_network({net,
                            true,
                            {{sb::kLabelManaged, "1"},
                             {sb::kLabelKind, "session"},
                             {sb::kLabelId, id},
                             {sb::kLabelOwner, o.owner},
                             {sb::kLabelExpires, std::to_string(expires)}}});
  }
  try {
    std::string cid;
    try {
      cid = engine_.create(spec);
    } catch (const Error& e) {
      if (e.reason() == Reason::ImageMissing) throw templates::not_built(tmpl);
      throw;
    }
    sb::ContainerGuard guard(engine_, cid);
    auto supervisor = boot(engine_, cid, tar);
    // A session lives its ttl from when it is ready: a slow boot (a loaded engine, a pod to
    // schedule) would otherwise eat into it, and a short ttl could end the session before its
    // create answers. Moved when the boot took over a second or a quarter of the ttl (a move costs
    // Docker a rename); the supervisor holds its expiry check while stdin is open.
    if (int64_t from_ready = unix_now() + o.ttl_s, lost = from_ready - expires; !pooled && lost > 0 && (lost >= 2 || 4 * lost >= o.ttl_s)) {
      supervisor->write("expires " + std::to_string(from_ready) + "\n");
      engine_.set_expiry(cid, from_ready);
      expires = from_ready;
    }
    if (!pooled) supervisor->close_stdin();
    if (spec.network == "bridge") engine_.guard_network(cid, engine::Egress{o.network == "lan"});  // before any code of the session's
    if (!o.name.empty()) {
      // Two creators may race past the first check: the later-created session gives way.
      for (const auto& c : engine_.list(named(o.name, o.owner))) {
        Record other = record_from_listing(c);
        if (other.id != id && std::tie(other.created, other.id) < std::tie(now, id))
          throw Error(ErrorKind::Conflict, "a session named '" + o.name + "' already exists");
      }
    }
    Record r;
    r.id = id;
    r.name = o.name;
    r.container_id = cid;
    r.template_name = tmpl.name;
    r.owner = o.owner;
    r.network = o.network;
    r.state = "running";
    r.created = now;
    r.expires = expires;
    r.labels = o.labels;
    r.home = o.home;
    r.env = o.env;
    r.attributes = o.attributes;
    r.agent_path = spec.labels[kLabelAgent];
    r.pooled = pooled;
    Target t = target_of(r);
    start_kernel(t, tmpl);
    if (o.start_agent || pooled) agent_for(t, "");
    guard.release();
    return Launched{std::move(r), pooled ? std::move(supervisor) : nullptr};
  } catch (...) {
    if (!net.empty()) {
      try {
        engine_.remove_network(net);
      } catch (...) {
        // `orch session gc` removes it later
      }
    }
    throw;
  }
}

std::vector<ServiceInfo> Manager::list_services(const std::string& session_id) {
  engine::Labels f = of_kind("service");
  if (!session_id.empty()) f[kLabelSession] = session_id;
  std::vector<ServiceInfo> out;
  for (const auto& c : engine_.list(f)) out.push_back(service_from_listing(c));
  return out;
}

// A session from one listed sandbox; nullopt for a pooled one nobody claimed. `claims` holds the
// claim records by session id (a pooled session's owner, labels, environment and first expiry).
std::optional<Record> Manager::session_of(const engine::SandboxInfo& c, const std::map<std::string, engine::Labels>& claims) const {
  Record r = record_from_listing(c);
  if (!r.pooled) return r;
  auto claim = claims.find(r.id);
  if (claim == claims.end()) return std::nullopt;
  auto created = c.labels.find(sb::kLabelExpires);
  bool moved = created == c.labels.end() || std::to_string(r.expires) != created->second;
  apply_claim(r, claim->second, moved);
  return r;
}

std::map<std::string, engine::Labels> Manager::claims() {
  std::map<std::string, engine::Labels> out;
  for (auto& [name, labels] : engine_.list_records(of_kind("claim"))) {
    auto id = labels.find(sb::kLabelId);
    if (id != labels.end()) out[id->second] = std::move(labels);
  }
  return out;
}

std::vector<Record> Manager::list(const Owner& owner) {
  std::vector<Record> out;
  auto listed = engine_.list(session_filters(std::nullopt));
  bool any_pooled = std::any_of(listed.begin(), listed.end(), [](const auto& c) { return c.labels.count(kLabelPooled) > 0; });
  auto claimed = any_pooled ? claims() : std::map<std::string, engine::Labels>{};
  for (const auto& c : listed) {
    auto r = session_of(c, claimed);
    if (r && (!owner || r->owner == *owner)) out.push_back(std::move(*r));
  }
  if (out.empty()) return out;
  std::map<std::string, std::vector<ServiceInfo>> by_session;
  for (const auto& c : engine_.list(of_kind("service"))) {
    auto it = c.labels.find(kLabelSession);
    by_session[it == c.labels.end() ? "" : it->second].push_back(service_from_listing(c));
  }
  for (auto& r : out) r.services = by_session[r.id];
  std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) { return std::tie(a.created, a.id) < std::tie(b.created, b.id); });
  return out;
}

Record Manager::get(const std::string& id_or_name, const Owner& owner) {
  auto f = session_filters(std::nullopt);
  f[valid_session_id(id_or_name) ? sb::kLabelId : kLabelName] = id_or_name;
  std::vector<Record> mine;
  for (const auto& c : engine_.list(f)) {
    std::map<std::string, engine::Labels> claim;
    if (c.labels.count(kLabelPooled)) {
      auto id = c.labels.find(sb::kLabelId);
      if (id == c.labels.end()) continue;
      auto labels = engine_.find_record(claim_record_name(id->second));
      if (!labels) continue;
      claim[id->second] = *labels;
    }
    auto r = session_of(c, claim);
    if (r && (!owner || r->owner == *owner)) mine.push_back(std::move(*r));
  }
  if (mine.empty() || id_or_name.empty())
    throw Error(ErrorKind::NotFound, "no session '" + shown(id_or_name, 100) + "' ('orch session ls' lists them)");
  if (mine.size() > 1) throw Error(ErrorKind::Conflict, "the name '" + id_or_name + "' matches several sessions: use the session id");
  Record r = std::move(mine[0]);
  r.services = list_services(r.id);
  return r;
}

Manager::Target Manager::target_of(const Record& r) {
  Target t{r.id, r.container_id, r.template_name, r.owner, r.home, r.agent_path, {}};
  for (const auto& [k, v] : r.env) t.env.push_back(k + "=" + v);
  return t;
}

Manager::Target Manager::resolve(const std::string& id_or_name, const Owner& owner) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = known_.find(id_or_name);
    if (it != known_.end() && (!owner || *owner == it->second.owner)) return it->second;
  }
  Record r = get(id_or_name, owner);
  if (r.state != "running") throw Error(ErrorKind::Conflict, "session " + r.id + " is " + r.state + ", not running");
  return target_of(r);
}

void Manager::remove_record(const Record& r) {
  drop_relays(r.id);
  for (const auto& s : list_services(r.id)) engine_.remove(s.container_id);
  engine_.remove(r.container_id);
  if (r.pooled) engine_.remove_record(claim_record_name(r.id));
  if (r.network == "private") {
    try {
      engine_.remove_network(network_name(r.id));
    } catch (const Error&) {
      // still detaching from a container being removed: gc finds it later
    }
  }
}

void Manager::remove(const std::string& id_or_name, const Owner& owner) { remove_record(get(id_or_name, owner)); }

Record Manager::extend(const std::string& id_or_name, int64_t ttl_s, const Owner& owner) {
  sb::check_ttl(ttl_s);
  Record r = get(id_or_name, owner);
  if (r.state != "running") throw Error(ErrorKind::Conflict, "session " + r.id + " is " + r.state + ", not running");
  int64_t expires = unix_now() + ttl_s;
  engine::ExecSpec o;
  o.argv = set_expiry_command(expires);  // as the sandbox's user: the supervisor's
  auto res = exec_capture(engine_, r.container_id, o, "", 4096, std::chrono::seconds(30));
  if (res.exit_code != 0)
    throw Error(ErrorKind::Infrastructure, "could not set the expiry of session " + r.id + ": " + res.err);
  engine_.set_expiry(r.container_id, expires);
  for (auto& s : r.services) engine_.set_expiry(s.container_id, expires);
  r.expires = expires;
  return r;
}

GcResult Manager::gc() {
  GcResult g;
  int64_t now = unix_now();
  std::set<std::string> live;
  for (const auto& r : list(std::nullopt)) {
    bool stale_create = r.state == "created" && r.created < now - 120;
    bool dead = r.state == "exited" || r.state == "dead" || stale_create;
    if (r.expires > now && !dead) {
      live.insert(r.id);
      continue;
    }
    if (r.state == "removing") continue;
    remove_record(r);
    g.sessions.push_back(r.id);
  }
  // Claims whose session is gone, and pooled sessions nobody claimed whose server is gone.
  auto claimed = claims();
  std::set<std::string> sandboxes;
  for (const auto& c : engine_.list(session_filters(std::nullopt))) {
    auto id = c.labels.find(sb::kLabelId);
    if (id == c.labels.end()) continue;
    sandboxes.insert(id->second);
    auto pid = c.labels.find(sb::kLabelPid);
    if (c.labels.count(kLabelPooled) && !claimed.count(id->second) && !sb::owner_alive(pid == c.labels.end() ? "" : pid->second)) {
      engine_.remove(c.id);
      g.sessions.push_back(id->second);
    }
  }
  for (const auto& [id, labels] : claimed)
    if (!sandboxes.count(id)) engine_.remove_record(claim_record_name(id));
  for (const auto& c : engine_.list(of_kind("service"))) {
    auto sid = c.labels.find(kLabelSession);
    if (sid != c.labels.end() && live.count(sid->second)) continue;
    engine_.remove(c.id);
    g.services.push_back(c.name.empty() ? c.id : c.name);
  }
  for (const auto& n : engine_.list_networks(of_kind("session"))) {
    auto sid = n.labels.find(sb::kLabelId);
    if (sid != n.labels.end() && live.count(sid->second)) continue;
    if (!sb::network_is_garbage(n, now)) continue;
    try {
      engine_.remove_network(n.id);
      g.networks.push_back(n.name);
    } catch (const Error&) {
      // in use by a container still being removed
    }
  }
  return g;
}

json to_json(const FileEntry& e) {
  return {{"path", e.path}, {"type", e.type}, {"size", e.size}, {"mtime", e.mtime}};
}

json to_json(const GcResult& g) {
  return {{"sessions", g.sessions}, {"services", g.services}, {"networks", g.networks}};
}

}  // namespace orch::session
