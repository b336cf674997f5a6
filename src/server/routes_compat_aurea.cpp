// The aurea-style sandbox runner: POST /run (read-only workspace, captured artifacts),
// POST /build-image, and the human API pages GET /docs and /redoc.
#include <cmath>
#include <set>

#include "core/templates/build.hpp"
#include "core/util/base64.hpp"
#include "core/util/embedded.hpp"
#include "server/body.hpp"
#include "server/builds.hpp"
#include "server/compat.hpp"
#include "server/policy.hpp"
#include "server/run_request.hpp"

namespace orch::server {

namespace {

using nlohmann::json;

constexpr size_t kMaxArtifacts = 100;
constexpr size_t kMaxArtifactBytes = 8 << 20;

// {name: content} as that service answered; files that are not UTF-8 text also come as base64, and
// what goes past the bounds is left out and flagged.
void add_artifacts(json& out, const sandbox::RunResult& r) {
  json text = json::object(), b64 = json::object();
  size_t bytes = 0, kept = 0;
  bool truncated = r.artifacts_truncated;
  for (const auto& a : r.artifacts) {
    if (kept >= kMaxArtifacts || bytes + a.data.size() > kMaxArtifactBytes) {
      truncated = true;
      continue;
    }
    ++kept;
    bytes += a.data.size();
    text[a.path] = a.data;
    if (!sandbox::valid_utf8(a.data)) b64[a.path] = base64_encode(a.data);
  }
  out["artifacts"] = text;
  if (!b64.empty()) out["artifacts_base64"] = b64;
  out["artifacts_truncated"] = truncated;
}

// The templates POST /build-image builds: those named, else the ones /run's languages use.
std::vector<const templates::Template*> build_targets(const Context& ctx, const json& b) {
  std::vector<std::string> names = opt_string_list(b, "templates");
  if (auto one = opt_string(b, "template")) names.push_back(*one);
  if (names.empty()) names = {"python", "node", "bash"};
  if (names.size() > 32) throw Error(ErrorKind::BadInput, "at most 32 templates per build");
  std::vector<const templates::Template*> out;
  out.reserve(names.size());
  for (const auto& n : names) out.push_back(&ctx.store.get(n));
  return out;
}

std::string_view asset(std::string_view path) {
  for (const auto& f : embedded_assets())
    if (f.path == path) return f.data;
  return {};
}

}  // namespace

void add_aurea_routes(httplib::Server& svr, Context& ctx) {
  svr.Post("/run", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             json b = parse_body(req.body);
             sandbox::RunOptions opts = parse_run_request(b, false);
             opts.readonly_workspace = opt_bool(b, "readonly").value_or(false);
             opts.capture_workspace = opt_bool(b, "capture_artifacts").value_or(false);
             auto run = run_compat(ctx, req, opts);
             json out = compat_result(*run.result);
             double timeout = run.timeout_s;
             out["timeout"] = std::floor(timeout) == timeout ? json(static_cast<int64_t>(timeout)) : json(timeout);
             out["readonly"] = opts.readonly_workspace;
             add_artifacts(out, *run.result);
             send_compat(res, run, std::move(out));
           }));

  svr.Post("/build-image", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             require_admin(ctx, current_tenant(), "building images");
             json b = req.body.empty() ? json::object() : parse_body(req.body);
             static const std::set<std::string> known = {"template", "templates"};
             for (const auto& [k, _] : b.items())
               if (!known.count(k)) throw Error(ErrorKind::BadInput, "field '" + k + "' is not accepted (template, templates)");
             auto targets = build_targets(ctx, b);
             std::string names;
             for (const auto* t : targets) names += (names.empty() ? "" : ",") + t->name;
             respond_with_build(
                 ctx, req, res, "build", names,
                 [&ctx, targets](const std::function<void(const std::string&)>& on_line) {
                   json built = json::array();
                   for (const auto* t : targets) {
                     on_line("building template " + t->name + " -> " + t->image);
                     templates::build(ctx.engine, *t, on_line);
                     built.push_back({{"template", t->name}, {"image", t->image}});
                   }
                   return json{{"message", "Successfully built " + std::to_string(built.size()) + " image(s)"}, {"built", built}};
                 },
                 BuildReply::Job);
           }));

  auto docs = [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'");
    res.set_content(std::string(asset("docs.html")), "text/html; charset=utf-8");
  };
  svr.Get("/docs", docs);
  svr.Get("/redoc", docs);
}

}  // namespace orch::server
