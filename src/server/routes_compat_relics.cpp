// The container-orchestrator-style relics: long-lived services scoped to a session, on that
// session's private network. A relic is a session service (the same as POST
// /v1/sessions/{id}/services); its session_id names an orch session, made on first use.
#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "core/session/record.hpp"
#include "core/util/shown.hpp"
#include "server/body.hpp"
#include "server/compat.hpp"
#include "server/policy.hpp"
#include "server/sessions.hpp"

namespace orch::server {

namespace {

using nlohmann::json;

std::string relic_id(const session::ServiceInfo& s) { return "relic_" + s.container_id.substr(0, 12); }

json relic_json(const session::Record& r, const session::ServiceInfo& s, const std::string& requested = "") {
  json j = {{"relic_id", relic_id(s)},
            {"relic_name", requested.empty() ? s.name : requested},
            {"session_id", r.name.empty() ? r.id : r.name},
            {"orch_session_id", r.id},
            {"status", s.state == "exited" ? "stopped" : s.state},
            {"container_id", s.container_id.substr(0, 12)},
            {"container_name", session::service_sandbox_name(r.id, s.name)},
            {"network_id", session::network_name(r.id)},
            {"host_name", s.name},
            {"image", s.image},
            {"port", s.port},
            {"internal_url", s.url},
            {"healthy", s.state == "running"}};
  if (!requested.empty() && requested != s.name)
    j["note"] = "'" + requested + "' is not a valid host name; the relic answers as '" + s.name + "'";
  return j;
}

// The session a relic belongs to: the orch session with that id or name, made (with a private
// network) when there is none yet.
session::Record relic_session(Context& ctx, const std::string& sid, int64_t ttl) {
  try {
    return ctx.sessions->get(sid, session_owner(ctx));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::NotFound) throw;
  }
  session::CreateOptions o;
  o.template_name = "default";
  o.name = sid;
  o.ttl_s = ttl;
  o.network = "private";
  return create_session_for(ctx, current_tenant(), o);
}

// The port a relic listens on: asked for, else the image's first exposed port, else 8000.
int relic_port(Context& ctx, const json& b, const std::string& image) {
  if (auto p = opt_int(b, "port")) return static_cast<int>(*p);
  if (auto img = ctx.engine.image(image); img && !img->ports.empty()) return img->ports.front();
  return 8000;
}

// Every relic of the caller's tenant, with its session.
std::vector<std::pair<session::Record, session::ServiceInfo>> all_relics(Context& ctx) {
  std::vector<std::pair<session::Record, session::ServiceInfo>> out;
  for (const auto& r : ctx.sessions->list(session_owner(ctx)))
    for (const auto& s : r.services) out.emplace_back(r, s);
  return out;
}

std::pair<session::Record, session::ServiceInfo> find_relic(Context& ctx, const std::string& id) {
  for (auto& [r, s] : all_relics(ctx))
    if (relic_id(s) == id || (id.size() >= 12 && s.container_id.rfind(id, 0) == 0)) return {r, s};
  throw Error(ErrorKind::NotFound, "no relic '" + shown(id, 100) + "'");
}

// Relics that were stopped: a session service's container is removed when it ends, but the API
// this follows keeps a stopped relic until it is deleted, so its last state is remembered here
// (per tenant, the latest 256) and answered by GET, the listing and DELETE while its session lives.
class StoppedRelics {
 public:
  void add(const session::Owner& who, const std::string& session_id, json relic) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string k = key(who, relic["relic_id"].get<std::string>());
    auto& order = order_[who.value_or("*")];
    if (!by_key_.count(k)) order.push_back(k);
    by_key_[k] = {session_id, std::move(relic)};
    while (order.size() > 256) {
      by_key_.erase(order.front());
      order.pop_front();
    }
  }
  // The remembered relic, if its session still exists; forgotten otherwise.
  std::optional<json> find(Context& ctx, const std::string& id) {
    auto who = session_owner(ctx);
    std::string k = key(who, id);
    std::string sid;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = by_key_.find(k);
      if (it == by_key_.end()) return std::nullopt;
      sid = it->second.session_id;
    }
    if (!session_alive(ctx, sid, who)) {
      forget(who, id);
      return std::nullopt;
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_key_.find(k);
    if (it == by_key_.end()) return std::nullopt;
    return it->second.relic;
  }
  bool forget(const session::Owner& who, const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string k = key(who, id);
    if (!by_key_.erase(k)) return false;
    auto& order = order_[who.value_or("*")];
    order.erase(std::find(order.begin(), order.end(), k));
    return true;
  }
  // Every stopped relic of the caller whose session is `session_id` ("" = any live session).
  std::vector<json> of_session(Context& ctx, const std::string& session_id) {
    auto who = session_owner(ctx);
    std::vector<std::pair<std::string, std::string>> ids;  // relic id, session id
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::string prefix = key(who, "");
      for (auto it = by_key_.lower_bound(prefix); it != by_key_.end() && it->first.rfind(prefix, 0) == 0; ++it)
        if (session_id.empty() || it->second.session_id == session_id)
          ids.emplace_back(it->first.substr(prefix.size()), it->second.session_id);
    }
    std::vector<json> out;
    for (const auto& [id, sid] : ids)
      if (auto r = find(ctx, id)) out.push_back(std::move(*r));
    return out;
  }

 private:
  struct Entry {
    std::string session_id;  // the orch session's id
    json relic;
  };
  static std::string key(const session::Owner& who, const std::string& id) { return who.value_or("*") + '\n' + id; }
  static bool session_alive(Context& ctx, const std::string& sid, const session::Owner& who) {
    try {
      ctx.sessions->get(sid, who);
      return true;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::NotFound) throw;
      return false;
    }
  }
  std::mutex mu_;
  std::map<std::string, Entry> by_key_;
  std::map<std::string, std::deque<std::string>> order_;  // per owner, oldest first
};

}  // namespace

void add_relic_routes(httplib::Server& svr, Context& ctx) {
  auto stopped = std::make_shared<StoppedRelics>();
  svr.Post("/containers/relic/start", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             json b = parse_body(req.body);
             const Tenant& tenant = current_tenant();
             std::string name = label_value(b, "relic_name");
             std::string sid = label_value(b, "session_id");
             if (name.empty() || sid.empty())
               throw Error(ErrorKind::BadInput, "fields 'relic_name' and 'session_id' are required (strings)");
             if (session::service_host_name(name).empty())
               throw Error(ErrorKind::BadInput, "relic_name '" + name.substr(0, 64) + "' has no letters or digits to make a host name of");
             json svc = {{"image", opt_string(b, "image").value_or("")}, {"name", name}};
             int64_t ttl = 600;  // a relic lives as long as its session: ten minutes unless the limits say otherwise
             if (b.contains("resource_limits") && b["resource_limits"].is_object()) {
               const json& l = b["resource_limits"];
               if (auto bytes = memory_mb_bytes(l)) svc["memory"] = *bytes;
               if (auto c = opt_number(l, "cpu_limit")) svc["cpus"] = *c;
               if (auto t = opt_int(l, "timeout_seconds")) ttl = *t;
             } else if (b.contains("resource_limits") && !b["resource_limits"].is_null()) {
               throw Error(ErrorKind::BadInput, "field 'resource_limits' must be an object");
             }
             opt_bool(b, "create_private_network");  // relics always get their session's private network
             if (auto h = opt_string(b, "health_check_endpoint")) svc["health"] = *h;
             if (auto t = opt_number(b, "health_check_timeout_seconds")) svc["startup_timeout"] = *t;
             if (b.contains("environment")) svc["env"] = b["environment"];
             if (b.contains("command")) svc["cmd"] = b["command"];  // orch's own addition: a command instead of the image's
             auto opts = service_options(ctx, tenant, svc);
             opts.port = relic_port(ctx, b, opts.image);
             if (opts.port < 1 || opts.port > 65535) throw Error(ErrorKind::BadInput, "field 'port' must be between 1 and 65535");
             auto r = relic_session(ctx, sid, ttl);
             auto s = ctx.sessions->add_service(r.id, opts, session_owner(ctx));
             send_json(res, relic_json(ctx.sessions->get(r.id, session_owner(ctx)), s, name), 201);
           }));

  svr.Get("/containers/relic", guarded([&ctx, stopped](const httplib::Request& req, httplib::Response& res) {
            json arr = json::array();
            if (req.has_param("session_id")) {
              try {
                auto r = ctx.sessions->get(req.get_param_value("session_id"), session_owner(ctx));
                for (const auto& s : r.services) arr.push_back(relic_json(r, s));
                for (auto& j : stopped->of_session(ctx, r.id)) arr.push_back(std::move(j));
              } catch (const Error& e) {
                if (e.kind() != ErrorKind::NotFound) throw;
              }
            } else {
              for (const auto& [r, s] : all_relics(ctx)) arr.push_back(relic_json(r, s));
              for (auto& j : stopped->of_session(ctx, "")) arr.push_back(std::move(j));
            }
            send_json(res, {{"relics", arr}, {"count", arr.size()}});
          }));

  svr.Get(R"(/containers/relic/([^/]+))", guarded([&ctx, stopped](const httplib::Request& req, httplib::Response& res) {
            if (auto j = stopped->find(ctx, req.matches[1])) return send_json(res, *j);
            auto [r, s] = find_relic(ctx, req.matches[1]);
            send_json(res, relic_json(r, s));
          }));

  svr.Post(R"(/containers/relic/([^/]+)/stop)", guarded([&ctx, stopped](const httplib::Request& req, httplib::Response& res) {
             if (auto j = stopped->find(ctx, req.matches[1])) return send_json(res, *j);
             auto [r, s] = find_relic(ctx, req.matches[1]);
             ctx.sessions->stop_service(r.id, s.name, session_owner(ctx));
             s.state = "exited";
             json j = relic_json(r, s);
             stopped->add(session_owner(ctx), r.id, j);
             send_json(res, j);
           }));

  svr.Delete(R"(/containers/relic/([^/]+))", guarded([&ctx, stopped](const httplib::Request& req, httplib::Response& res) {
               std::string id = req.matches[1];
               bool was_stopped = stopped->find(ctx, id).has_value();
               try {
                 auto [r, s] = find_relic(ctx, id);
                 ctx.sessions->remove_service(r.id, s.name, session_owner(ctx));
                 id = relic_id(s);
               } catch (const Error& e) {
                 if (e.kind() != ErrorKind::NotFound || !was_stopped) throw;  // a stopped one's container may be gone already
               }
               stopped->forget(session_owner(ctx), id);
               send_json(res, {{"status", "success"}, {"relic_id", id}, {"deleted", true}});
             }));
}

}  // namespace orch::server
