// Registering templates over HTTP: a base template plus packages, built once and kept.
#include <set>

#include "core/templates/register.hpp"
#include "server/body.hpp"
#include "server/builds.hpp"
#include "server/policy.hpp"

namespace orch::server {

using nlohmann::json;

void add_template_routes(httplib::Server& svr, Context& ctx) {
  svr.Post("/v1/templates", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             require_admin(ctx, current_tenant(), "registering templates");
             json b = parse_body(req.body);
             static const std::set<std::string> known = {"name", "base", "packages", "description", "memory", "cpus", "timeout"};
             for (const auto& [k, _] : b.items())
               if (!known.count(k)) throw Error(ErrorKind::BadInput, "field '" + k + "' is not accepted (see /openapi.json)");
             templates::NewTemplate n;
             n.name = opt_string(b, "name").value_or("");
             if (n.name.empty()) throw Error(ErrorKind::BadInput, "field 'name' is required (a string)");
             n.base = opt_string(b, "base").value_or("python");
             n.packages = opt_string_list(b, "packages");
             n.description = opt_string(b, "description").value_or("");
             if (n.description.size() > 1024) throw Error(ErrorKind::BadInput, "field 'description' must be at most 1024 bytes");
             n.memory_bytes = opt_bytes(b, "memory");
             n.cpus = opt_number(b, "cpus");
             n.timeout_s = opt_number(b, "timeout");
             // Cheap checks first, so a bad request is a 400 even when it asked for a stream.
             if (ctx.store.find(n.name)) throw Error(ErrorKind::Conflict, "a template named '" + n.name + "' already exists");
             ctx.store.get(n.base);
             templates::parse_packages(n.packages);
             respond_with_build(
                 ctx, req, res, "template", n.name,
                 [&ctx, n](const std::function<void(const std::string&)>& on_line) {
                   json t = templates::to_json(templates::register_template(ctx.engine, ctx.store, n, on_line));
                   t.erase("source");  // a directory on the server, as GET /v1/templates leaves out
                   t["image_state"] = "built";
                   return t;
                 },
                 BuildReply::Wait, 201);
           }));
}

}  // namespace orch::server
