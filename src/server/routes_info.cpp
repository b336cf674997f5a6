#include "core/templates/build.hpp"
#include "core/util/embedded.hpp"
#include "server/context.hpp"
#include "server/sessions.hpp"
#include "version.hpp"

namespace orch::server {

namespace {

using nlohmann::json;

std::string_view asset(std::string_view path) {
  for (const auto& f : embedded_assets())
    if (f.path == path) return f.data;
  return {};
}

// Families read at scrape time: the engine, the pool, sessions and jobs as they are now, and the process.
std::vector<Family> scraped_families(Context& ctx) {
  bool engine_up = true;
  try {
    ctx.engine.ping();
  } catch (const Error&) {
    engine_up = false;
  }
  Family ready{"orch_pool_ready", "gauge", "Warm sandboxes ready to take a run, per template.", {}};
  Family target{"orch_pool_target", "gauge", "Warm sandboxes ready or in preparation the pool aims for, per template.", {}};
  Family refills{"orch_pool_refills_total", "counter", "Warm sandboxes made to refill the pool, per template.", {}};
  json pool = ctx.pool ? ctx.pool->state() : json::object();
  for (const auto& [name, st] : pool.items()) {
    std::string labels = "{template=\"" + name + "\"}";
    ready.samples.push_back({labels, st["ready"].get<double>()});
    target.samples.push_back({labels, st["target"].get<double>()});
    refills.samples.push_back({labels, st["refills"].get<double>()});
  }
  double sessions = 0;
  if (engine_up) {
    try {
      sessions = static_cast<double>(ctx.sessions->list().size());
    } catch (const Error&) {
    }
  }
  double jobs = 0;
  {
    std::lock_guard<std::mutex> lock(ctx.jobs_mu);
    for (const auto& [id, job] : ctx.jobs) jobs += job->status == JobStatus::Running ? 1 : 0;
  }
  std::vector<Family> out = {
      {"orch_build_info", "gauge", "Always 1; the labels say which orch this is.", {{"{version=\"" ORCH_VERSION "\"}", 1}}},
      {"orch_engine_up", "gauge", "1 when the container engine answered a ping during this scrape, else 0.", {{"", engine_up ? 1.0 : 0.0}}},
      {"orch_runs_in_flight",
       "gauge",
       "Runs, session executions and jobs holding a concurrency slot now.",
       {{"", static_cast<double>(ctx.limiter.in_flight())}}},
      {"orch_sessions_active", "gauge", "Sessions on the engine now, every owner.", {{"", sessions}}},
      {"orch_jobs_running", "gauge", "Repository test jobs running now.", {{"", jobs}}},
      {"orch_output_budget_in_use_bytes",
       "gauge",
       "Program output the requests in flight have reserved (--output-budget).",
       {{"", static_cast<double>(ctx.budget.in_use())}}},
      {"orch_output_budget_waiting",
       "gauge",
       "Requests waiting for their share of the output budget.",
       {{"", static_cast<double>(ctx.budget.waiting())}}},
      std::move(ready),
      std::move(target),
      std::move(refills)};
  for (auto& f : process_families()) out.push_back(std::move(f));
  return out;
}

}  // namespace

void add_info_routes(httplib::Server& svr, Context& ctx) {
  svr.Get("/health", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
    json engine = {{"reachable", false}};
    try {
      auto e = ctx.engine.ping();
      if (e.version.empty()) e.version = ctx.engine.info().version;
      engine = {{"reachable", true}, {"version", e.version}, {"api_version", e.api_version}};
    } catch (const Error& e) {
      engine["error"] = e.what();
    }
    bool ok = engine["reachable"].get<bool>() && !ctx.draining;
    json body = {{"status", ok ? "ok" : (ctx.draining ? "draining" : "degraded")},
                 {"version", ORCH_VERSION},
                 {"engine", engine},
                 {"in_flight", ctx.limiter.in_flight()},
                 {"output_budget", {{"bytes", ctx.budget.total()}, {"in_use", ctx.budget.in_use()}, {"waiting", ctx.budget.waiting()}}},
                 {"pool", ctx.pool ? ctx.pool->state() : json::object()},
                 {"session_pool", ctx.sessions->pool_state()},
                 {"auth", ctx.tokens.enabled()}};
    if (ctx.draining) body["reason"] = "the server is shutting down and takes no new work";
    else if (!ok) body["reason"] = "the container engine at " + ctx.engine.endpoint() + " does not answer: " + engine.value("error", "");
    send_json(res, body, ok ? 200 : 503);
  }));

  svr.Get("/metrics", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            if (req.get_header_value("Accept").find("application/json") != std::string::npos) {
              // The executor-style JSON metrics, for the caller's tenant.
              const Tenant& tenant = current_tenant();
              int cap = tenant.limits.max_sessions > 0 ? tenant.limits.max_sessions : ctx.cfg.tenant_max_sessions;
              send_json(res, {{"status", "success"},
                              {"metrics",
                               {{"sessions_created", ctx.metrics.session_events("created")},
                                {"sessions_reused", ctx.metrics.exec_count()},
                                {"active_sessions", ctx.sessions->list(session_owner(ctx)).size()},
                                {"max_sessions", cap},
                                {"runs_in_flight", ctx.limiter.in_flight()}}}});
              return;
            }
            res.set_content(ctx.metrics.prometheus(scraped_families(ctx)), "text/plain; version=0.0.4");
          }));

  svr.Get("/v1/templates", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
    json arr = json::array();
    for (const auto* tp : ctx.store.all()) {
      const auto& t = *tp;
      json j = templates::to_json(t);
      j.erase("source");
      try {
        j["image_state"] = templates::image_present(ctx.engine, t) ? "built" : "missing";
      } catch (const Error&) {
        j["image_state"] = "unknown";
      }
      arr.push_back(j);
    }
    send_json(res, {{"templates", arr}});
  }));

  // With tokens, a tenant sees only its own runs.
  svr.Get("/v1/runs", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
            std::optional<std::string> tenant;
            if (ctx.tokens.enabled()) tenant = current_tenant().name;
            send_json(res, {{"runs", ctx.metrics.recent_runs(tenant)}});
          }));

  svr.Get("/", [&ctx](const httplib::Request& req, httplib::Response& res) {
    // A client that asks for JSON (and not HTML) gets the service's status instead of the dashboard.
    std::string accept = req.get_header_value("Accept");
    if (accept.find("application/json") != std::string::npos && accept.find("text/html") == std::string::npos) {
      send_json(res, {{"service", "orch"},
                      {"version", ORCH_VERSION},
                      {"status", ctx.draining ? "draining" : "running"},
                      {"auth", ctx.tokens.enabled()},
                      {"health", "/health"},
                      {"docs", "/docs"},
                      {"openapi", "/openapi.json"}});
      return;
    }
    res.set_header("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'");
    res.set_content(std::string(asset("dashboard.html")), "text/html; charset=utf-8");
  });

  svr.Get("/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(asset("openapi.json")), "application/json");
  });
}

}  // namespace orch::server
