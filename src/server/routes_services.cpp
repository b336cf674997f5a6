// Session services and resource use over HTTP: the same session::Manager calls as
// `orch session service` and `orch session stats`, scoped to the caller's tenant.
#include <set>

#include "core/sandbox/spec.hpp"
#include "core/sandbox/stats.hpp"
#include "server/body.hpp"
#include "server/policy.hpp"
#include "server/sessions.hpp"

namespace orch::server {

namespace {

using nlohmann::json;

json usage_list(const std::vector<sandbox::Usage>& all) {
  json arr = json::array();
  for (const auto& u : all) arr.push_back(sandbox::to_json(u));
  return arr;
}

std::vector<std::string> env_list(const json& b) {
  std::vector<std::string> env;
  if (!b.contains("env") || b["env"].is_null()) return env;
  if (b["env"].is_object()) {
    for (const auto& [k, v] : b["env"].items()) {
      if (!v.is_string()) throw Error(ErrorKind::BadInput, "field 'env." + k + "' must be a string");
      env.push_back(k + "=" + v.get<std::string>());
    }
    return env;
  }
  return opt_string_list(b, "env");
}

}  // namespace

session::ServiceOptions service_options(const Context& ctx, const Tenant& tenant, const json& b) {
  session::ServiceOptions o;
  o.image = opt_string(b, "image").value_or("");
  require_image_allowed(ctx, o.image);
  o.name = opt_string(b, "name").value_or("");
  if (o.name.size() > 256) throw Error(ErrorKind::BadInput, "field 'name' must be at most 256 bytes");
  o.port = static_cast<int>(opt_int(b, "port").value_or(0));
  o.health_path = opt_string(b, "health").value_or("");
  o.cmd = opt_string_list(b, "cmd");
  o.env = env_list(b);
  if (o.cmd.size() > 256 || o.env.size() > 256) throw Error(ErrorKind::BadInput, "at most 256 cmd and env entries");
  o.memory_bytes = opt_bytes(b, "memory").value_or(o.memory_bytes);
  int64_t max_mem = tenant.limits.max_memory_bytes > 0 ? tenant.limits.max_memory_bytes : ctx.cfg.max_memory_bytes;
  if (o.memory_bytes > max_mem) throw Error(ErrorKind::BadInput, "memory is above this server's limit");
  if (auto cpus = opt_number(b, "cpus")) {
    check_cpus(ctx, tenant, *cpus);
    o.cpus = *cpus;
  }
  o.startup_timeout_s = opt_number(b, "startup_timeout").value_or(o.startup_timeout_s);
  double max_t = tenant.limits.max_timeout_s > 0 ? tenant.limits.max_timeout_s : ctx.cfg.max_timeout_s;
  if (o.startup_timeout_s > max_t) throw Error(ErrorKind::BadInput, "field 'startup_timeout' is above this server's limit");
  return o;
}

json service_json(const session::ServiceInfo& s, const std::string& requested, const std::string& session_id) {
  json j = session::to_json(s);
  j["session_id"] = session_id;
  if (!requested.empty() && requested != s.name) {
    j["requested_name"] = requested;
    j["note"] = "'" + requested + "' is not a valid host name; the service answers as '" + s.name + "'";
  }
  return j;
}

void add_service_routes(httplib::Server& svr, Context& ctx) {
  svr.Post(R"(/v1/sessions/([^/]+)/services)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             json b = parse_body(req.body);
             static const std::set<std::string> known = {"image", "name",   "port", "health",         "cmd",
                                                         "env",   "memory", "cpus", "startup_timeout"};
             for (const auto& [k, _] : b.items())
               if (!known.count(k)) throw Error(ErrorKind::BadInput, "field '" + k + "' is not accepted (see /openapi.json)");
             auto o = service_options(ctx, current_tenant(), b);
             auto s = ctx.sessions->add_service(req.matches[1], o, session_owner(ctx));
             send_json(res, service_json(s, o.name, ctx.sessions->get(req.matches[1], session_owner(ctx)).id), 201);
           }));

  svr.Get(R"(/v1/sessions/([^/]+)/services)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            auto r = ctx.sessions->get(req.matches[1], session_owner(ctx));
            json arr = json::array();
            for (const auto& s : r.services) arr.push_back(service_json(s, "", r.id));
            send_json(res, {{"session_id", r.id}, {"services", arr}});
          }));

  svr.Delete(R"(/v1/sessions/([^/]+)/services/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
               ctx.sessions->remove_service(req.matches[1], req.matches[2], session_owner(ctx));
               res.status = 204;
             }));

  svr.Get(R"(/v1/sessions/([^/]+)/stats)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            auto r = ctx.sessions->get(req.matches[1], session_owner(ctx));
            send_json(res, {{"session_id", r.id}, {"sandboxes", usage_list(ctx.sessions->stats(r.id, session_owner(ctx)))}});
          }));

  svr.Get("/v1/stats", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
            send_json(res, {{"sandboxes", usage_list(tenant_usage(ctx, ""))}});
          }));
}

std::vector<sandbox::Usage> tenant_usage(Context& ctx, const std::string& container_prefix) {
  std::vector<engine::SandboxInfo> mine;
  for (auto& s : ctx.engine.list({{sandbox::kLabelManaged, "1"}, {sandbox::kLabelOwner, current_tenant().name}}))
    if (s.id.rfind(container_prefix, 0) == 0) mine.push_back(std::move(s));
  return sandbox::read_usage(ctx.engine, mine);
}

}  // namespace orch::server
