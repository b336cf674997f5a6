// The container-orchestrator-style relics: long-lived services scoped to a session, on that
// session's private network. A relic is a session service (the same as POST
// /v1/sessions/{id}/services); its session_id names an orch session, made on first use.
#include "core/session/record.hpp"
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
  throw Error(ErrorKind::NotFound, "no relic '" + id.substr(0, 100) + "'");
}

}  // namespace

void add_relic_routes(httplib::Server& svr, Context& ctx) {
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
               if (auto mb = opt_int(l, "memory_mb")) svc["memory"] = *mb * (1LL << 20);
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

  svr.Get("/containers/relic", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            json arr = json::array();
            if (req.has_param("session_id")) {
              try {
                auto r = ctx.sessions->get(req.get_param_value("session_id"), session_owner(ctx));
                for (const auto& s : r.services) arr.push_back(relic_json(r, s));
              } catch (const Error& e) {
                if (e.kind() != ErrorKind::NotFound) throw;
              }
            } else {
              for (const auto& [r, s] : all_relics(ctx)) arr.push_back(relic_json(r, s));
            }
            send_json(res, {{"relics", arr}, {"count", arr.size()}});
          }));

  svr.Get(R"(/containers/relic/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            auto [r, s] = find_relic(ctx, req.matches[1]);
            send_json(res, relic_json(r, s));
          }));

  svr.Post(R"(/containers/relic/([^/]+)/stop)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             auto [r, s] = find_relic(ctx, req.matches[1]);
             // A service's container is removed when it ends, so a stopped relic is gone (later calls are 404).
             ctx.sessions->stop_service(r.id, s.name, session_owner(ctx));
             s.state = "exited";
             send_json(res, relic_json(r, s));
           }));

  svr.Delete(R"(/containers/relic/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
               auto [r, s] = find_relic(ctx, req.matches[1]);
               ctx.sessions->remove_service(r.id, s.name, session_owner(ctx));
               send_json(res, {{"status", "success"}, {"relic_id", relic_id(s)}, {"deleted", true}});
             }));
}

}  // namespace orch::server
