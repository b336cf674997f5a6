#include <memory>

#include "core/templates/packages.hpp"
#include "core/util/json_writer.hpp"
#include "server/body.hpp"
#include "server/context.hpp"
#include "server/run_request.hpp"
#include "server/runner.hpp"
#include "server/sse.hpp"

namespace orch::server {

using nlohmann::json;

namespace {

// Streams a run as events: `build` lines while its packages are added (the first time), then
// `start`, output, and `result` (or `error`).
void stream_run(Context& ctx, httplib::Response& res, const Tenant& tenant, sandbox::RunOptions opts) {
  std::shared_ptr<PreparedRun> prepared;
  std::shared_ptr<RunRecord> record;
  if (opts.with.empty()) {  // a full server answers 429 before the stream starts
    prepared = std::make_shared<PreparedRun>(prepare_run(ctx, tenant, opts));
    record = register_run(ctx, *prepared);
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider("text/event-stream", [&ctx, tenant, opts, prepared, record](size_t, httplib::DataSink& sink) mutable {
    SseObserver sse(sink);
    try {
      if (!prepared) {
        sandbox::resolve_packages(ctx.engine, ctx.store, opts, [&](const std::string& line) {
          sse.write(sse_event("build", {{"line", line}}));
        });
        prepared = std::make_shared<PreparedRun>(prepare_run(ctx, tenant, opts));
        record = register_run(ctx, *prepared);
      }
      record->answered_in_place();  // the stream carries the result
      RecordingObserver observer(record, ctx.cancel_all, &sse);
      sse.write(sse_event("start", {{"run_id", prepared->plan.run_id}, {"template", prepared->plan.tmpl->name}}));
      auto result = execute_recorded(ctx, *prepared, *record, observer);
      sse.write("event: result\ndata: ");
      JsonStream w([&sse](std::string_view s) { return sse.write(s); });
      sandbox::write_json(w, *result, true);
      w.flush();
      sse.write("\n\n");
    } catch (const Error& e) {
      sse.write(sse_event("error", {{"error", {{"code", kind_name(e.kind())}, {"message", e.what()}}}}));
    }
    sink.done();
    return true;
  });
}

}  // namespace

void add_run_routes(httplib::Server& svr, Context& ctx) {
  svr.Post("/v1/run", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             const Tenant& tenant = current_tenant();
             json body = parse_body(req.body);
             bool async = opt_bool(body, "async").value_or(false);
             body.erase("async");
             sandbox::RunOptions opts = parse_run_request(body);
             apply_caps(ctx, tenant, opts);
             if (!opts.with.empty()) templates::parse_packages(opts.with);  // a bad name is a 400 before anything starts
             if (wants_sse(req) && !async) return stream_run(ctx, res, tenant, opts);
             sandbox::resolve_packages(ctx.engine, ctx.store, opts, [](const std::string&) {});
             auto prepared = std::make_shared<PreparedRun>(prepare_run(ctx, tenant, opts));
             auto record = register_run(ctx, *prepared);
             if (async) {
               execute_async(ctx, prepared, record);
               res.set_header("Location", "/v1/runs/" + record->id);
               send_json(res, record->to_json(), 202);
               return;
             }
             record->answered_in_place();
             RecordingObserver observer(record, ctx.cancel_all, nullptr, req.is_connection_closed);
             auto result = execute_recorded(ctx, *prepared, *record, observer);
             send_document(res, payload_size(*result), [result, prepared](JsonStream& w) { sandbox::write_json(w, *result, true); });
           }));
}

}  // namespace orch::server
