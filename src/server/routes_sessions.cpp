// Sessions over HTTP: the same session::Manager the CLI uses, scoped to the caller's tenant.
#include <algorithm>
#include <optional>
#include <set>

#include "core/session/manager.hpp"
#include "core/util/base64.hpp"
#include "server/body.hpp"
#include "server/context.hpp"
#include "server/runner.hpp"
#include "server/sessions.hpp"

namespace orch::server {

namespace {

using nlohmann::json;

// Streams exec output as server-sent events; a failed write means the client left.
class SseExecObserver : public session::ExecObserver {
 public:
  SseExecObserver(httplib::DataSink& sink, Context& ctx) : sink_(sink), ctx_(ctx) {}
  void on_output(bool is_stderr, std::string_view d) override {
    event(is_stderr ? "stderr" : "stdout", {{"data", std::string(d)}});
  }
  void on_display(const session::Display& d) override { event("display", {{"data", d.data}, {"main", d.main}}); }
  bool cancelled() override { return gone_ || ctx_.cancel_all; }
  void event(const std::string& name, const json& data) {
    write("event: " + name + "\ndata: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n");
  }
  bool write(std::string_view s) {
    if (!gone_ && !sink_.write(s.data(), s.size())) gone_ = true;
    return !gone_;
  }

 private:
  httplib::DataSink& sink_;
  Context& ctx_;
  bool gone_ = false;
};

std::string query_path(const httplib::Request& req) {
  if (!req.has_param("path")) throw Error(ErrorKind::BadInput, "query parameter 'path' is required");
  return req.get_param_value("path");
}

}  // namespace

void add_session_routes(httplib::Server& svr, Context& ctx) {
  svr.Post("/v1/sessions", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
    json b = parse_body(req.body);
    static const std::set<std::string> known = {"template", "ttl", "name", "memory", "cpus", "network", "labels", "with"};
    for (const auto& [k, _] : b.items())
      if (!known.count(k)) throw Error(ErrorKind::BadInput, "field '" + k + "' is not accepted (see /openapi.json)");
    const Tenant& tenant = current_tenant();
    session::CreateOptions o;
    o.template_name = opt_string(b, "template").value_or("python");
    o.name = opt_string(b, "name").value_or("");
    o.ttl_s = opt_int(b, "ttl").value_or(1800);
    o.memory_bytes = opt_bytes(b, "memory");
    o.cpus = opt_number(b, "cpus");
    o.network = opt_string(b, "network").value_or("none");
    if (b.contains("labels")) {
      if (!b["labels"].is_object()) throw Error(ErrorKind::BadInput, "field 'labels' must be an object {key: value}");
      for (const auto& [k, v] : b["labels"].items()) {
        if (!v.is_string()) throw Error(ErrorKind::BadInput, "field 'labels." + k + "' must be a string");
        o.labels[k] = v.get<std::string>();
      }
    }
    o.with = opt_string_list(b, "with");
    send_json(res, session::to_json(create_session_for(ctx, tenant, o)), 201);
  }));

  svr.Get("/v1/sessions", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
    json arr = json::array();
    for (const auto& r : ctx.sessions->list(session_owner(ctx))) arr.push_back(session::to_json(r));
    send_json(res, {{"sessions", arr}});
  }));

  svr.Get(R"(/v1/sessions/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            send_json(res, session::to_json(ctx.sessions->get(req.matches[1], session_owner(ctx))));
          }));

  svr.Delete(R"(/v1/sessions/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
               ctx.sessions->remove(req.matches[1], session_owner(ctx));
               ctx.metrics.record_session("deleted");
               res.status = 204;
             }));

  svr.Post(R"(/v1/sessions/([^/]+)/extend)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
    json b = parse_body(req.body);
    auto ttl = opt_int(b, "ttl");
    if (!ttl) throw Error::bad_field("ttl", "is required (seconds)");
    check_session_ttl(*ttl);
    send_json(res, session::to_json(ctx.sessions->extend(req.matches[1], *ttl, session_owner(ctx))));
  }));

  svr.Post(R"(/v1/sessions/([^/]+)/exec)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
    json b = parse_body(req.body);
    static const std::set<std::string> known = {"code", "language", "timeout", "output_limit"};
    for (const auto& [k, _] : b.items())
      if (!known.count(k)) throw Error(ErrorKind::BadInput, "field '" + k + "' is not accepted (see /openapi.json)");
    const Tenant& tenant = current_tenant();
    session::ExecRequest er;
    auto code = opt_string(b, "code");
    if (!code) throw Error(ErrorKind::BadInput, "field 'code' is required (a string)");
    er.code = *code;
    er.language = opt_string(b, "language").value_or("");
    er.timeout_s = opt_number(b, "timeout");
    check_caps(ctx, tenant, er.timeout_s, std::nullopt);
    if (auto cap = opt_bytes(b, "output_limit")) er.output_cap = static_cast<size_t>(std::max<int64_t>(*cap, 0));
    session::check_exec(er);
    std::string id = req.matches[1];
    session::Owner who = session_owner(ctx);
    auto slot = std::make_shared<Slot>(acquire_slot(ctx, tenant));
    auto output = std::make_shared<OutputBudget::Lease>(reserve_output(ctx, 2 * er.output_cap + (256 << 10)));
    if (req.get_header_value("Accept").find("text/event-stream") == std::string::npos) {
      DrainObserver obs(ctx, req.is_connection_closed);
      auto r = std::make_shared<session::ExecResult>(exec_counted(ctx, id, er, obs, who));
      slot.reset();
      send_document(res, payload_size(*r), [r, output](JsonStream& w) { session::write_json(w, *r, true); });
      return;
    }
    ctx.sessions->get(id, who);  // a missing session is a 404, not an event in a 200 stream
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("text/event-stream", [&ctx, id, er, slot, output, who](size_t, httplib::DataSink& sink) {
      SseExecObserver obs(sink, ctx);
      try {
        auto r = exec_counted(ctx, id, er, obs, who);
        obs.write("event: result\ndata: ");
        JsonStream w([&obs](std::string_view s) { return obs.write(s); });
        session::write_json(w, r, true);
        w.flush();
        obs.write("\n\n");
      } catch (const Error& e) {
        obs.event("error", {{"error", {{"code", kind_name(e.kind())}, {"message", e.what()}}}});
      }
      sink.done();
      return true;
    });
  }));

  // File transfers hold a concurrency slot like execs: a helper the session's code stopped holds
  // its worker thread until the transfer's deadline, never longer, and only the tenant's own slots.
  svr.Put(R"(/v1/sessions/([^/]+)/files)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            Slot slot = acquire_slot(ctx, current_tenant());
            std::string path = query_path(req);
            bool exec = req.has_param("executable") && req.get_param_value("executable") == "1";
            ctx.sessions->upload(req.matches[1], path, req.body, session_owner(ctx), exec);
            send_json(res, {{"path", path}, {"size", req.body.size()}}, 201);
          }));

  svr.Get(R"(/v1/sessions/([^/]+)/files)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            Slot slot = acquire_slot(ctx, current_tenant());
            if (req.has_param("path")) {
              auto output = std::make_shared<OutputBudget::Lease>(reserve_output(ctx, ctx.cfg.max_body_bytes));
              auto data = std::make_shared<std::string>(
                  ctx.sessions->download(req.matches[1], req.get_param_value("path"), ctx.cfg.max_body_bytes, session_owner(ctx)));
              res.set_content_provider(data->size(), "application/octet-stream",
                                       [data, output](size_t offset, size_t length, httplib::DataSink& sink) {
                                         return sink.write(data->data() + offset, length);
                                       });
              return;
            }
            std::string dir = req.has_param("dir") ? req.get_param_value("dir") : ".";
            bool recursive = req.has_param("recursive") && req.get_param_value("recursive") == "1";
            json arr = json::array();
            for (const auto& e : ctx.sessions->files(req.matches[1], dir, recursive, session_owner(ctx)))
              arr.push_back(session::to_json(e));
            send_json(res, {{"files", arr}});
          }));
}

}  // namespace orch::server
