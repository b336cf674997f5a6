// The container-orchestrator-style API: tool runs of allowlisted images (/containers/tool/...),
// resource use (/containers/stats) and cleanup (/containers/cleanup/...), over the same one-shot
// runs, run registry and sessions as /v1.
#include <cctype>

#include "core/util/shown.hpp"
#include "server/body.hpp"
#include "server/compat.hpp"
#include "server/policy.hpp"
#include "server/sessions.hpp"

namespace orch::server {

namespace {

using nlohmann::json;

// A parameter as an environment variable: FILE=document.pdf for {"file": "document.pdf"}; values
// that are not strings travel as JSON text.
void add_parameters(sandbox::RunOptions& o, const json& b) {
  if (!b.contains("parameters") || b["parameters"].is_null()) return;
  const json& p = b["parameters"];
  if (!p.is_object()) throw Error(ErrorKind::BadInput, "field 'parameters' must be an object {name: value}");
  if (p.size() > 128) throw Error(ErrorKind::BadInput, "at most 128 parameters");
  for (const auto& [k, v] : p.items()) {
    std::string name;
    for (char c : k)
      name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
    if (name.empty() || name.size() > 128 || std::isdigit(static_cast<unsigned char>(name[0])))
      throw Error(ErrorKind::BadInput, "parameter '" + k.substr(0, 64) + "' cannot be an environment variable name");
    o.env.push_back(name + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  }
  o.env.push_back("TOOL_PARAMETERS=" + p.dump());
}

void add_limits(sandbox::RunOptions& o, const json& b) {
  if (!b.contains("resource_limits") || b["resource_limits"].is_null()) return;
  const json& l = b["resource_limits"];
  if (!l.is_object()) throw Error(ErrorKind::BadInput, "field 'resource_limits' must be an object");
  if (auto bytes = memory_mb_bytes(l)) o.memory_bytes = *bytes;
  o.cpus = opt_number(l, "cpu_limit");
  o.timeout_s = opt_number(l, "timeout_seconds");
}

// The tool's result: its stdout when that is JSON, else its last line when that is.
json parsed_output(const std::string& out) {
  auto parse = [](const std::string& s) {
    auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || (s[first] != '{' && s[first] != '[')) return json();
    json j = json::parse(s, nullptr, false);
    return j.is_discarded() ? json() : j;
  };
  json whole = parse(out);
  if (!whole.is_null()) return whole;
  std::string trimmed = out.substr(0, out.find_last_not_of(" \t\r\n") + 1);
  auto nl = trimmed.rfind('\n');
  return nl == std::string::npos ? json() : parse(trimmed.substr(nl + 1));
}

std::string tool_status(const RunRecord& rec, const std::shared_ptr<const sandbox::RunResult>& r) {
  if (rec.running()) return "running";
  if (!r) return "error";
  if (r->status == sandbox::RunStatus::Ok) return "completed";
  if (r->status == sandbox::RunStatus::Timeout) return "timeout";
  if (r->status == sandbox::RunStatus::Cancelled) return rec.cancel_requested() ? "cancelled" : "killed";
  return "failed";
}

json tool_json(const RunRecord& rec) {
  json j = rec.to_json();
  auto r = rec.result();
  json out = {{"execution_id", rec.id},
              {"tool_name", rec.meta.value("tool_name", "")},
              {"session_id", rec.meta.value("session_id", "")},
              {"image", rec.meta.value("image", "")},
              {"status", tool_status(rec, r)},
              {"started_at", rec.created}};
  if (j.contains("finished")) out["completed_at"] = j["finished"];
  if (r) {
    out["success"] = r->status == sandbox::RunStatus::Ok;
    out["exit_code"] = sandbox::exit_code_for(*r);
    out["stdout"] = r->stdout_data;
    out["stderr"] = r->stderr_data;
    out["result"] = parsed_output(r->stdout_data);
    out["execution_time"] = static_cast<double>(r->duration_ms) / 1000.0;
    if (r->status == sandbox::RunStatus::Oom) out["error"] = "out of memory";
  } else if (j.contains("error")) {
    out["success"] = false;
    out["error"] = j["error"]["message"];
  }
  return out;
}

std::shared_ptr<RunRecord> tool_record(Context& ctx, const std::string& id) {
  auto rec = ctx.runs.get(id, current_tenant().name);
  if (rec->kind != "tool")
    throw Error(ErrorKind::NotFound, "no tool execution '" + shown(id, 100) + "' (it is a run: /v1/runs/" + shown(id, 100) + ")");
  return rec;
}

}  // namespace

void add_container_routes(httplib::Server& svr, Context& ctx) {
  svr.Post("/containers/tool/execute", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             json b = parse_body(req.body);
             const Tenant& tenant = current_tenant();
             std::string tool = label_value(b, "tool_name");
             if (tool.empty()) throw Error(ErrorKind::BadInput, "field 'tool_name' is required (a string)");
             std::string session = label_value(b, "session_id");
             sandbox::RunOptions o;
             o.template_name = ctx.store.find("minimal") ? "minimal" : "default";
             add_parameters(o, b);
             o.command = opt_string_list(b, "command");  // orch's own addition: a command instead of the image's
             if (o.command.size() > 256) throw Error(ErrorKind::BadInput, "field 'command' has more than 256 words");
             o.env.push_back("TOOL_NAME=" + tool);
             if (!session.empty()) o.env.push_back("SESSION_ID=" + session);
             add_limits(o, b);
             o.image = opt_string(b, "image").value_or("");
             require_image_allowed(ctx, o.image);  // after the other fields: a malformed request is a 400 either way
             opt_bool(b, "cleanup");               // the sandbox is always removed; the field is checked for its type only
             bool async = opt_bool(b, "async").value_or(false);
             o.labels["orch.tool"] = tool;
             apply_caps(ctx, tenant, o);
             auto prepared = std::make_shared<PreparedRun>(prepare_run(ctx, tenant, o));
             auto record = register_run(ctx, *prepared, "tool", {{"tool_name", tool}, {"session_id", session}, {"image", o.image}});
             if (async) {
               execute_async(ctx, prepared, record);
               send_json(res, tool_json(*record), 202);
               return;
             }
             RecordingObserver observer(record, ctx.cancel_all, nullptr, req.is_connection_closed);
             try {
               execute_recorded(ctx, *prepared, *record, observer);
             } catch (const Error& e) {
               if (e.kind() != ErrorKind::Infrastructure && e.kind() != ErrorKind::Unavailable) throw;
             }
             send_json(res, tool_json(*record));
           }));

  svr.Get(R"(/containers/tool/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            send_json(res, tool_json(*tool_record(ctx, req.matches[1])));
          }));

  svr.Get(R"(/containers/tool/([^/]+)/logs)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            auto rec = tool_record(ctx, req.matches[1]);
            json j = rec->logs_json();
            j["execution_id"] = rec->id;
            j["logs"] = j["stdout"].get<std::string>() + j["stderr"].get<std::string>();
            send_json(res, j);
          }));

  svr.Post(R"(/containers/tool/([^/]+)/cancel)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             auto rec = tool_record(ctx, req.matches[1]);
             cancel_run(*rec);
             send_json(res, tool_json(*rec));
           }));

  svr.Get("/containers/stats", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
            json arr = json::array();
            for (const auto& u : tenant_usage(ctx, "")) arr.push_back(sandbox::to_json(u));
            send_json(res, {{"containers", arr}, {"count", arr.size()}});
          }));

  svr.Get(R"(/containers/stats/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            std::string id = req.matches[1];
            std::vector<sandbox::Usage> found;
            if (session::valid_session_id(id)) {
              found = ctx.sessions->stats(id, session_owner(ctx));
            } else {
              std::string prefix = id.rfind("relic_", 0) == 0 ? id.substr(6) : id;
              bool hex = prefix.size() >= 4 && prefix.size() <= 64 && prefix.find_first_not_of("0123456789abcdef") == std::string::npos;
              for (const auto& u : hex ? tenant_usage(ctx, prefix) : tenant_usage(ctx, ""))
                if (hex || u.id == id || u.name == id) found.push_back(u);
            }
            if (found.empty()) throw Error(ErrorKind::NotFound, "no running container, session or run '" + shown(id, 100) + "'");
            json j = sandbox::to_json(found.front());
            if (found.size() > 1) {
              j["containers"] = json::array();
              for (const auto& u : found) j["containers"].push_back(sandbox::to_json(u));
            }
            send_json(res, j);
          }));

  svr.Post("/containers/cleanup/session", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             json b = parse_body(req.body);
             std::string sid = label_value(b, "session_id");
             if (sid.empty()) throw Error(ErrorKind::BadInput, "field 'session_id' is required (a string)");
             opt_bool(b, "force");  // running tools are always cancelled; the field is checked for its type only
             int cancelled = 0, removed = 0, networks = 0;
             for (const auto& rec : ctx.runs.find(current_tenant().name, "session_id", sid))
               if (rec->running()) {
                 rec->cancel();
                 ++cancelled;
               }
             try {
               auto r = ctx.sessions->get(sid, session_owner(ctx));
               ctx.sessions->remove(r.id, session_owner(ctx));
               removed = static_cast<int>(r.services.size()) + 1;
               networks = r.network == "private" ? 1 : 0;
             } catch (const Error& e) {
               if (e.kind() != ErrorKind::NotFound) throw;
             }
             send_json(res, {{"status", "success"},
                             {"session_id", sid},
                             {"runs_cancelled", cancelled},
                             {"containers_removed", removed},
                             {"networks_removed", networks}});
           }));

  svr.Post("/containers/cleanup/all-networks", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
             // Engine-wide, and its answer names every tenant's removed sessions: an operator's call.
             require_admin(ctx, current_tenant(), "cleaning up every tenant's networks");
             auto g = ctx.sessions->gc();  // the janitor counts the expired ones as they go
             json j = session::to_json(g);
             send_json(res, {{"status", "success"},
                             {"networks_removed", j["networks"]},
                             {"sessions_removed", j["sessions"]},
                             {"services_removed", j["services"]}});
           }));
}

}  // namespace orch::server
