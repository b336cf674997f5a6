#include "server/builds.hpp"

#include <thread>

#include "core/util/random.hpp"
#include "server/sse.hpp"

namespace orch::server {

using nlohmann::json;

namespace {

// Builds share the engine's CPU and disk with every sandbox: one at a time.
std::mutex g_build_mu;

json run_build(const BuildWork& work, const std::function<void(const std::string&)>& on_line) {
  std::lock_guard<std::mutex> lock(g_build_mu);
  return work(on_line);
}

}  // namespace

void respond_with_build(Context& ctx, const httplib::Request& req, httplib::Response& res, const std::string& kind,
                        const std::string& source, const BuildWork& work, BuildReply reply, int done_status) {
  if (ctx.draining) throw Error(ErrorKind::Unavailable, "the server is shutting down");
  if (wants_sse(req)) {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider("text/event-stream", [work](size_t, httplib::DataSink& sink) {
      SseObserver sse(sink);
      try {
        json result = run_build(work, [&](const std::string& line) { sse.write(sse_event("progress", {{"line", line}})); });
        sse.write(sse_event("result", result));
      } catch (const Error& e) {
        sse.write(sse_event("error", {{"error", {{"code", kind_name(e.kind())}, {"message", e.what()}}}}));
      }
      sink.done();
      return true;
    });
    return;
  }
  if (reply == BuildReply::Wait) {
    send_json(res, run_build(work, [](const std::string&) {}), done_status);
    return;
  }
  auto job = add_job(ctx, kind, current_tenant().name, source);
  {
    std::lock_guard<std::mutex> lock(ctx.jobs_mu);
    job->phase = "building";
  }
  ++ctx.jobs_running;
  std::thread([&ctx, job, work] {
    json result;
    std::string error;
    try {
      result = run_build(work, [&](const std::string& line) {
        std::lock_guard<std::mutex> lock(ctx.jobs_mu);
        job->log.push_back({{"phase", "building"}, {"detail", line}, {"at", unix_now()}});
        if (job->log.size() > 2000) job->log.erase(job->log.begin());
      });
    } catch (const std::exception& e) {
      error = e.what();
    }
    {
      std::lock_guard<std::mutex> lock(ctx.jobs_mu);
      job->status = error.empty() ? JobStatus::Done : JobStatus::Failed;
      job->phase = status_name(job->status);
      job->report = result;
      job->error = error;
      job->finished = unix_now();
    }
    --ctx.jobs_running;
  }).detach();
  res.set_header("Location", "/v1/jobs/" + job->id);
  std::lock_guard<std::mutex> lock(ctx.jobs_mu);
  json j = job_json(*job);
  j["message"] = "building; GET /v1/jobs/" + job->id + " for progress";
  send_json(res, j, 202);
}

}  // namespace orch::server
