// The executor-style API ("E2B-style" sandboxes for n8n): POST /execute, GET /templates and
// /session/create|execute|destroy, over the same runs and sessions as /v1. POST /execute also
// serves the CodeRunner orchestrator's {code, language, timeout}.
#include "core/util/base64.hpp"
#include "server/body.hpp"
#include "server/compat.hpp"
#include "server/policy.hpp"
#include "server/run_request.hpp"
#include "server/sessions.hpp"

namespace orch::server {

namespace {

using nlohmann::json;

std::string required_string(const json& b, const char* field) {
  auto v = opt_string(b, field);
  if (!v || v->empty()) throw Error(ErrorKind::BadInput, std::string("field '") + field + "' is required (a string)");
  return *v;
}

// 512m, 1g: as that API and Docker write limits.
std::string short_bytes(int64_t v) {
  if (v > 0 && v % (1LL << 30) == 0) return std::to_string(v >> 30) + "g";
  if (v > 0 && v % (1LL << 20) == 0) return std::to_string(v >> 20) + "m";
  return std::to_string(v);
}

json template_entry(const templates::Template& t) {
  return {{"name", t.name},
          {"description", t.description},
          {"memory_limit", short_bytes(t.limits.memory_bytes)},
          {"package_count", t.packages.size()},
          {"packages", t.packages},
          {"languages", [&] {
             json l = json::array();
             for (const auto& lang : t.languages) l.push_back(lang.name);
             return l;
           }()}};
}

json session_exec_json(const session::ExecResult& r) {
  std::vector<sandbox::Artifact> arts;
  for (const auto& a : r.artifacts) arts.push_back(sandbox::Artifact{a.name, a.data, a.mime});
  json j = {{"status", r.status == session::ExecStatus::Ok ? "success" : "error"},
            {"session_id", r.session_id},
            {"exit_code", r.exit_code},
            {"stdout", r.stdout_data},
            {"stderr", r.stderr_data},
            {"execution_time", static_cast<double>(r.duration_ms) / 1000.0},
            {"artifacts", typed_artifacts(arts)},
            {"exec_status", session::status_name(r.status)}};
  for (const auto& d : r.displays)
    if (d.main && d.data.count("text/plain")) j["result"] = d.data.at("text/plain");
  if (r.error) j["error"] = {{"name", r.error->name}, {"value", r.error->value}, {"traceback", r.error->traceback}};
  return j;
}

}  // namespace

void add_executor_routes(httplib::Server& svr, Context& ctx) {
  svr.Post("/execute", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             json b = parse_body(req.body);
             std::string tenant_id = check_tenant_field(ctx, current_tenant(), b);
             std::string scope = label_value(b, "scope");
             sandbox::RunOptions opts = parse_run_request(b, false);
             if (!scope.empty()) opts.labels["orch.scope"] = scope;
             auto run = run_compat(ctx, req, opts, {{"scope", scope}, {"tenant_id", tenant_id}});
             const auto& r = *run.result;
             json out = compat_result(r);
             out["status"] = r.status == sandbox::RunStatus::Ok ? "success" : "error";
             out["artifacts"] = typed_artifacts(r.artifacts);
             if (!tenant_id.empty()) out["tenant_id"] = tenant_id;
             if (!scope.empty()) out["scope"] = scope;
             send_compat(res, run, std::move(out));
           }));

  svr.Get("/templates", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
            json arr = json::array();
            for (const auto* t : ctx.store.all()) arr.push_back(template_entry(*t));
            if (const auto* d = ctx.store.find("default"); d && d->name != "default") {
              json alias = template_entry(*d);
              alias["alias_of"] = alias["name"];
              alias["name"] = "default";
              arr.push_back(alias);
            }
            send_json(res, {{"status", "success"}, {"templates", arr}});
          }));

  svr.Post("/session/create", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             json b = parse_body(req.body);
             const Tenant& tenant = current_tenant();
             std::string tenant_id = check_tenant_field(ctx, tenant, b);
             if (tenant_id.empty()) throw Error(ErrorKind::BadInput, "field 'tenant_id' is required (a string)");
             std::string scope = label_value(b, "scope");
             if (scope.empty()) throw Error(ErrorKind::BadInput, "field 'scope' is required (a string)");
             session::CreateOptions o;
             o.template_name = opt_string(b, "template").value_or("default");
             o.ttl_s = opt_int(b, "ttl").value_or(300);
             o.labels = {{"tenant_id", tenant_id}, {"scope", scope}};
             auto r = create_session_for(ctx, tenant, o);
             send_json(
                 res,
                 {{"status", "success"}, {"session_id", r.id}, {"template", o.template_name}, {"ttl", o.ttl_s}, {"expires", r.expires}});
           }));

  svr.Post("/session/execute", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             json b = parse_body(req.body);
             session::ExecRequest er;
             std::string id = required_string(b, "session_id");
             er.code = required_string(b, "code");
             er.language = opt_string(b, "language").value_or("");
             er.timeout_s = opt_number(b, "timeout");
             const Tenant& tenant = current_tenant();
             double max_t = tenant.limits.max_timeout_s > 0 ? tenant.limits.max_timeout_s : ctx.cfg.max_timeout_s;
             if (er.timeout_s && (*er.timeout_s <= 0 || *er.timeout_s > max_t))
               throw Error(ErrorKind::BadInput, "field 'timeout' must be above 0 and at most " + std::to_string(max_t) + " seconds");
             if (b.contains("files") && !b["files"].is_null()) {  // {path: content}, written before the code runs
               if (!b["files"].is_object()) throw Error(ErrorKind::BadInput, "field 'files' must be an object {path: content}");
               for (const auto& [path, content] : b["files"].items()) {
                 if (!content.is_string()) throw Error(ErrorKind::BadInput, "field 'files." + path + "' must be a string");
                 ctx.sessions->upload(id, path, content.get<std::string>(), session_owner(ctx));
               }
             }
             DrainObserver obs(ctx, req.is_connection_closed);
             OutputBudget::Lease output = reserve_output(ctx, 2 * er.output_cap + (256 << 10));
             send_json(res, session_exec_json(exec_in_session(ctx, tenant, id, er, obs)));
           }));

  svr.Post("/session/destroy", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             json b = parse_body(req.body);
             std::string id = required_string(b, "session_id");
             ctx.sessions->remove(id, session_owner(ctx));
             send_json(res, {{"status", "success"}, {"session_id", id}, {"message", "Session " + id + " destroyed"}});
           }));
}

}  // namespace orch::server
