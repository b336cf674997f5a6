// Piston v2 compatibility: existing Piston clients point at orch and work unchanged.
#include <algorithm>
#include <set>

#include "server/body.hpp"
#include "server/compat.hpp"
#include "server/context.hpp"
#include "server/run_request.hpp"
#include "server/runner.hpp"

namespace orch::server {

namespace {

using nlohmann::json;

struct Runtime {
  const templates::Template* tmpl;
  const templates::Language* lang;
};

// Each language once, from the template that serves it by default.
std::vector<Runtime> runtimes(const templates::Store& store) {
  std::vector<Runtime> out;
  std::set<std::string> seen;
  for (const auto* t : store.all())
    for (const auto& l : t->languages) {
      if (seen.count(l.name)) continue;
      const templates::Template* best = store.for_language(l.name);
      out.push_back(Runtime{best, best->language(l.name)});
      seen.insert(l.name);
    }
  return out;
}

bool version_matches(const std::string& want, const std::string& have) {
  if (want.empty() || want == "*" || want == "latest") return true;
  if (want == have) return true;
  std::string w = want;
  if (w.size() > 2 && w.compare(w.size() - 2, 2, ".x") == 0) w.resize(w.size() - 2);
  return have.rfind(w, 0) == 0 && (have.size() == w.size() || have[w.size()] == '.');
}

json piston_error(const std::string& message) { return {{"message", message}}; }

// Piston's answer: {language, version, run: {stdout, stderr, output, code, signal, message, status, ...}}.
void write_piston(JsonStream& w, const templates::Language& lang, const sandbox::RunResult& r) {
  using sandbox::RunStatus;
  bool signalled = r.status == RunStatus::Timeout || r.status == RunStatus::Oom || r.status == RunStatus::Cancelled;
  json status = nullptr;
  std::string message;
  if (r.status == RunStatus::Timeout) status = "TO", message = "Timeout exceeded";
  else if (r.stdout_truncated) status = "OL", message = "stdout length exceeded";
  else if (r.stderr_truncated) status = "EL", message = "stderr length exceeded";
  else if (signalled) status = "SG", message = r.status == RunStatus::Oom ? "Out of memory" : "Killed";
  else if (r.exit_code != 0) status = "RE", message = "Exited with code " + std::to_string(r.exit_code);
  json small = {{"code", signalled ? json(nullptr) : json(r.exit_code)},
                {"signal", signalled || status == "OL" || status == "EL" ? json("SIGKILL") : json(nullptr)},
                {"message", message.empty() ? json(nullptr) : json(message)},
                {"status", status},
                {"wall_time", r.duration_ms},
                {"cpu_time", nullptr},
                {"memory", nullptr}};
  w.begin_object();
  json_fields(w, {{"language", lang.name}, {"version", lang.version}});
  w.key("run");
  w.begin_object();
  json_fields(w, small);
  json_text(w, "stdout", r.stdout_data);
  json_text(w, "stderr", r.stderr_data);
  w.key("output");
  w.text(r.stdout_data, r.stderr_data);
  w.end();
  w.end();
}

}  // namespace

void add_piston_routes(httplib::Server& svr, Context& ctx) {
  svr.Get("/api/v2/runtimes", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
    json arr = json::array();
    for (const auto& rt : runtimes(ctx.store)) {
      json j = {{"language", rt.lang->name}, {"version", rt.lang->version.empty() ? "0.0.0" : rt.lang->version},
                {"aliases", rt.lang->aliases}};
      if (rt.tmpl->name != rt.lang->name) j["runtime"] = rt.tmpl->name;
      arr.push_back(j);
    }
    send_json(res, arr);
  }));

  svr.Post("/api/v2/execute", [&ctx](const httplib::Request& req, httplib::Response& res) {
    try {
      json b = parse_body(req.body);
      std::string language = opt_string(b, "language").value_or("");
      if (language.empty()) throw Error(ErrorKind::BadInput, "language is required as a string");
      std::string version = opt_string(b, "version").value_or("*");
      const Runtime* found = nullptr;
      auto all = runtimes(ctx.store);
      for (const auto& rt : all) {
        bool named = rt.lang->name == language ||
                     std::find(rt.lang->aliases.begin(), rt.lang->aliases.end(), language) != rt.lang->aliases.end();
        if (named && version_matches(version, rt.lang->version)) found = &rt;
      }
      if (!found) throw Error(ErrorKind::BadInput, language + "-" + version + " runtime is unknown");
      if (!b.contains("files") || !b["files"].is_array() || b["files"].empty())
        throw Error(ErrorKind::BadInput, "files is required as a non-empty array");
      sandbox::RunOptions o;
      o.template_name = found->tmpl->name;
      o.language = found->lang->name;
      for (size_t i = 0; i < b["files"].size(); ++i) {
        auto f = parse_file(b["files"][i], i);
        if (i == 0) {
          o.code = std::move(f.data);
        } else {
          if (f.path.empty()) f.path = "file" + std::to_string(i);
          o.files.push_back(std::move(f));
        }
      }
      o.stdin_data = opt_string(b, "stdin").value_or("");
      o.args = opt_string_list(b, "args");
      if (auto ms = opt_number(b, "run_timeout")) {
        // Piston's unit is the millisecond: the bounds are said in it.
        double max_ms = std::min(max_timeout_s(ctx, current_tenant()), 86400.0) * 1000;
        if (!(*ms > 0 && *ms <= max_ms)) {
          char limit[32];
          std::snprintf(limit, sizeof limit, "%.0f", max_ms);
          throw Error(ErrorKind::BadInput, std::string("run_timeout must be above 0 and at most ") + limit + " ms on this server");
        }
        o.timeout_s = *ms / 1000.0;
      }
      if (auto mem = opt_int(b, "run_memory_limit"); mem && *mem > 0) o.memory_bytes = *mem;
      // As every compatibility route: registered under /v1/runs, cancelled when the client leaves.
      auto run = run_compat(ctx, req, std::move(o));
      const templates::Language* lang = found->lang;
      send_document(res, 2 * payload_size(*run.result), [run, lang](JsonStream& w) { write_piston(w, *lang, *run.result); });
    } catch (const Error& e) {
      // Piston's clients read {message} on 400.
      if (e.kind() == ErrorKind::Busy) res.set_header("Retry-After", "1");
      send_json(res, piston_error(e.what()), e.kind() == ErrorKind::BadInput ? 400 : http_status_for(e.kind()));
    }
  });
}

}  // namespace orch::server
