// Runs by id: what a run is doing or did, its output so far (or followed live), and cancelling it.
#include <thread>

#include "server/context.hpp"
#include "server/sse.hpp"

namespace orch::server {

namespace {

using nlohmann::json;

// Replays the stored output as events, follows it until the run ends, then sends `end` with the record.
void follow_logs(const Context& ctx, httplib::Response& res, const std::shared_ptr<RunRecord>& record) {
  auto slot = std::make_shared<StreamSlot>(ctx);  // Busy (429) past the cap, before any header goes out
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider("text/event-stream", [record, slot](size_t, httplib::DataSink& sink) {
    SseObserver sse(sink);
    size_t seen = 0;
    for (bool ended = false; !ended && !sse.gone();) {
      auto chunks = record->wait_output(seen, std::chrono::seconds(1), ended);
      seen += chunks.size();
      for (const auto& c : chunks) sse.on_output(c.is_stderr, c.data);
      sse.cancelled();  // a keep-alive comment when idle notices a client that left
    }
    sse.write(sse_event("end", record->to_json()));
    sink.done();
    return true;
  });
}

}  // namespace

void add_runs_by_id_routes(httplib::Server& svr, Context& ctx) {
  svr.Get(R"(/v1/runs/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            send_json(res, ctx.runs.get(req.matches[1], current_tenant().name)->to_json());
          }));

  svr.Get(R"(/v1/runs/([^/]+)/logs)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            auto record = ctx.runs.get(req.matches[1], current_tenant().name);
            if (wants_sse(req)) return follow_logs(ctx, res, record);
            send_json(res, record->logs_json());
          }));

  svr.Delete(R"(/v1/runs/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
               auto record = ctx.runs.get(req.matches[1], current_tenant().name);
               if (!record->running())
                 throw Error(ErrorKind::NotFound,
                             "run " + record->id + " is not in flight: it has ended (GET /v1/runs/" + record->id + " has how)");
               cancel_run(*record);
               res.status = 204;
             }));
}

void cancel_run(RunRecord& record) {
  if (!record.running()) throw Error(ErrorKind::Conflict, "run " + record.id + " has already ended");
  record.cancel();
  // The run notices within a tenth of a second; answer with how it ended when that is quick.
  bool ended = false;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10); !ended && std::chrono::steady_clock::now() < deadline;)
    record.wait_output(SIZE_MAX, std::chrono::milliseconds(200), ended);
}

}  // namespace orch::server
