#include <chrono>
#include <memory>
#include <mutex>

#include "core/util/base64.hpp"
#include "core/util/random.hpp"
#include "server/body.hpp"
#include "server/context.hpp"
#include "server/run_request.hpp"
#include "server/runner.hpp"

namespace orch::server {

namespace {

using nlohmann::json;

bool wants_sse(const httplib::Request& req) {
  return req.get_header_value("Accept").find("text/event-stream") != std::string::npos;
}

std::string sse_event(const std::string& event, const json& data) {
  return "event: " + event + "\ndata: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

// Streams output events through an httplib DataSink; a failed write means the client left.
class SseObserver : public sandbox::Observer {
 public:
  SseObserver(httplib::DataSink& sink, Context& ctx) : sink_(sink), ctx_(ctx) {}
  void on_output(bool is_stderr, std::string_view d) override {
    json ev = {{"data", std::string(d)}};
    // A chunk may cut a character in two or hold bytes that are not UTF-8: send its exact bytes too.
    if (!sandbox::valid_utf8(d)) ev["data_base64"] = base64_encode(d);
    write(sse_event(is_stderr ? "stderr" : "stdout", ev));
  }
  bool cancelled() override {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ > std::chrono::seconds(2)) {  // a comment line notices a client that went away
      write(": keep-alive\n\n");
      last_ = now;
    }
    return gone_ || ctx_.cancel_all;
  }
  bool write(std::string_view s) {
    if (!gone_ && !sink_.write(s.data(), s.size())) gone_ = true;
    return !gone_;
  }

 private:
  httplib::DataSink& sink_;
  Context& ctx_;
  bool gone_ = false;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// The response shape shared by simple Docker-sandbox services: success, exit_code, stdout, stderr,
// execution_time (seconds), timed_out.
void write_compat(JsonStream& w, const sandbox::RunResult& r) {
  json small = {{"success", r.status == sandbox::RunStatus::Ok},
                {"exit_code", sandbox::exit_code_for(r)},
                {"execution_time", static_cast<double>(r.duration_ms) / 1000.0},
                {"timed_out", r.status == sandbox::RunStatus::Timeout},
                {"status", sandbox::status_name(r.status)},
                {"run_id", r.run_id}};
  w.begin_object();
  json_fields(w, small);
  json_text(w, "stdout", r.stdout_data);
  json_text(w, "stderr", r.stderr_data);
  w.end();
}

}  // namespace

void add_run_routes(httplib::Server& svr, Context& ctx) {
  svr.Post("/v1/run", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
    Tenant tenant = current_tenant();
    sandbox::RunOptions opts = parse_run_request(parse_body(req.body));
    apply_caps(ctx, tenant, opts);
    auto prepared = std::make_shared<PreparedRun>(prepare_run(ctx, tenant, opts));
    if (!wants_sse(req)) {
      CancelOnDrain observer(ctx);
      auto result = std::make_shared<sandbox::RunResult>(execute_run(ctx, *prepared, observer));
      send_document(res, payload_size(*result), [result, prepared](JsonStream& w) { sandbox::write_json(w, *result, true); });
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider("text/event-stream", [&ctx, prepared](size_t, httplib::DataSink& sink) {
      SseObserver observer(sink, ctx);
      observer.write(sse_event("start", {{"run_id", prepared->plan.run_id}, {"template", prepared->plan.tmpl->name}}));
      try {
        auto result = execute_run(ctx, *prepared, observer);
        observer.write("event: result\ndata: ");
        JsonStream w([&observer](std::string_view s) { return observer.write(s); });
        sandbox::write_json(w, result, true);
        w.flush();
        observer.write("\n\n");
      } catch (const Error& e) {
        observer.write(sse_event("error", {{"error", {{"code", kind_name(e.kind())}, {"message", e.what()}}}}));
      }
      sink.done();
      return true;
    });
  }));

  auto compat = guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
    Tenant tenant = current_tenant();
    sandbox::RunOptions opts = parse_run_request(parse_body(req.body), false);
    apply_caps(ctx, tenant, opts);
    auto prepared = std::make_shared<PreparedRun>(prepare_run(ctx, tenant, opts));
    CancelOnDrain observer(ctx);
    auto result = std::make_shared<sandbox::RunResult>(execute_run(ctx, *prepared, observer));
    send_document(res, payload_size(*result), [result, prepared](JsonStream& w) { write_compat(w, *result); });
  });
  svr.Delete(R"(/v1/runs/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!ctx.run_cancels.cancel(req.matches[1], current_tenant().name))
      throw Error(ErrorKind::NotFound, "no run " + std::string(req.matches[1]).substr(0, 64) + " in flight");
    res.status = 204;
  }));
  svr.Post("/execute", compat);
  svr.Post("/run", compat);
}

}  // namespace orch::server
