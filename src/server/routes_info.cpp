#include "core/templates/build.hpp"
#include "core/util/embedded.hpp"
#include "server/context.hpp"
#include "version.hpp"

namespace orch::server {

namespace {

using nlohmann::json;

std::string_view asset(std::string_view path) {
  for (const auto& f : embedded_assets())
    if (f.path == path) return f.data;
  return {};
}

}  // namespace

void add_info_routes(httplib::Server& svr, Context& ctx) {
  svr.Get("/health", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
    json engine = {{"reachable", false}};
    try {
      std::string v = ctx.client.ping();
      if (v.empty()) v = ctx.client.version().value("Version", "");
      engine = {{"reachable", true}, {"version", v}, {"api_version", ctx.client.api_version()}};
    } catch (const Error& e) {
      engine["error"] = e.what();
    }
    bool ok = engine["reachable"].get<bool>() && !ctx.draining;
    send_json(res,
              {{"status", ok ? "ok" : (ctx.draining ? "draining" : "degraded")},
               {"version", ORCH_VERSION},
               {"engine", engine},
               {"in_flight", ctx.limiter.in_flight()},
               {"pool", ctx.pool ? ctx.pool->state() : json::object()},
               {"auth", ctx.tokens.enabled()}},
              ok ? 200 : 503);
  }));

  svr.Get("/metrics", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
    std::map<std::string, double> gauges = {{"orch_runs_in_flight", ctx.limiter.in_flight()}};
    json pool = ctx.pool ? ctx.pool->state() : json::object();
    for (const auto& [name, st] : pool.items()) {
        gauges["orch_pool_ready{template=\"" + name + "\"}"] = st["ready"].get<double>();
        gauges["orch_pool_target{template=\"" + name + "\"}"] = st["target"].get<double>();
    }
    res.set_content(ctx.metrics.prometheus(gauges), "text/plain; version=0.0.4");
  }));

  svr.Get("/v1/templates", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
    json arr = json::array();
    for (const auto& t : ctx.store.all()) {
      json j = templates::to_json(t);
      j.erase("source");
      try {
        j["image_state"] = templates::image_present(ctx.client, t) ? "built" : "missing";
      } catch (const Error&) {
        j["image_state"] = "unknown";
      }
      arr.push_back(j);
    }
    send_json(res, {{"templates", arr}});
  }));

  svr.Get("/v1/runs", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"runs", ctx.metrics.recent_runs()}});
  }));

  svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'");
    res.set_content(std::string(asset("dashboard.html")), "text/html; charset=utf-8");
  });

  svr.Get("/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(asset("openapi.json")), "application/json");
  });
}

}  // namespace orch::server
