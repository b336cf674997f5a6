// envd's process service (Connect): Start and Connect stream a process's events; List, SendSignal,
// SendInput and CloseStdin are unary. Processes run through the session's agent.
#include <signal.h>

#include <limits>

#include "core/util/base64.hpp"
#include "server/body.hpp"
#include "server/e2b/connect.hpp"
#include "server/e2b/e2b.hpp"

namespace orch::server::e2b {

using nlohmann::json;

namespace {

void send_stream_error(httplib::Response& res, const std::string& code, const std::string& message) {
  res.status = 200;
  res.set_content(end_stream(code, message), "application/connect+json");
}

int selected_pid(Context& ctx, const session::Record& sb, const json& in) {
  json sel = in.value("process", json::object());
  if (sel.contains("pid")) {
    const json& pid = sel["pid"];
    if (!pid.is_number_integer() || pid.get<int64_t>() < 1 || pid.get<int64_t>() > std::numeric_limits<int32_t>::max())
      throw Error(ErrorKind::BadInput, "field 'process.pid' must be a process id (a whole number from 1 to 2147483647)");
    return pid.get<int>();
  }
  std::string tag = sel.value("tag", "");
  if (tag.empty()) throw Error(ErrorKind::BadInput, "field 'process' must name a pid or a tag");
  for (const auto& p : ctx.sessions->list_processes(sb.id))
    if (p.tag == tag) return p.pid;
  throw agent::Failure("not_found", "process with tag '" + tag + "' not found");
}

// Streams one process's events as Connect envelopes until it ends, the sandbox goes, or the client
// leaves (the process goes on: E2B does not kill a command whose caller disconnected).
void stream_process(Context& ctx, const httplib::Request& req, httplib::Response& res, std::shared_ptr<session::ProcessStream> stream,
                    std::shared_ptr<StreamSlot> slot) {
  double keepalive_s = std::clamp(std::strtod(req.get_header_value("Keepalive-Ping-Interval").c_str(), nullptr), 1.0, 3600.0);
  if (!req.has_header("Keepalive-Ping-Interval")) keepalive_s = 50;
  res.set_chunked_content_provider(
      "application/connect+json", [&ctx, stream = std::move(stream), slot = std::move(slot), keepalive_s](size_t, httplib::DataSink& sink) {
        auto write = [&](const std::string& s) { return sink.write(s.data(), s.size()); };
        auto finish = [&](const std::string& s) {
          write(s);
          sink.done();
          return true;
        };
        if (!write(envelope({{"event", {{"start", {{"pid", stream->pid()}}}}}}))) {
          stream->cancel();
          return false;
        }
        auto quiet_since = session::Clock::now();
        for (;;) {
          std::vector<session::ProcessEvent> events;
          if (!stream->next(events, session::Clock::now() + std::chrono::milliseconds(500)))
            return finish(end_stream("unavailable", "the process stream ended"));
          for (auto& e : events) {
            if (e.fd == 1 || e.fd == 2) {
              if (!write(envelope({{"event", {{"data", {{e.fd == 1 ? "stdout" : "stderr", base64_encode(e.data)}}}}}}))) {
                stream->cancel();
                return false;
              }
              continue;
            }
            if (e.lost) return finish(end_stream("unavailable", e.error + ": the sandbox is probably not running anymore"));
            if (e.timed_out)
              return finish(end_stream("deadline_exceeded", "the command ran past its timeout; its process group was killed"));
            json end = {{"exitCode", e.exit_code}, {"exited", true}, {"status", e.status}};
            if (!e.error.empty()) end["error"] = e.error;
            write(envelope({{"event", {{"end", end}}}}));
            return finish(end_stream());
          }
          auto now = session::Clock::now();
          if (!events.empty()) quiet_since = now;
          if (!sink.is_writable() || ctx.cancel_all) {
            stream->cancel();
            return false;
          }
          if (now - quiet_since > std::chrono::duration<double>(keepalive_s)) {
            quiet_since = now;
            if (!write(envelope({{"event", {{"keepalive", json::object()}}}}))) {
              stream->cancel();
              return false;
            }
          }
        }
      });
}

httplib::Server::Handler streaming(
    Context& ctx, std::function<std::shared_ptr<session::ProcessStream>(const httplib::Request&, const session::Record&, const json&)> fn) {
  return [&ctx, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    try {
      auto in = first_envelope(req.body);
      if (!in) throw Error(ErrorKind::BadInput, "the request is not one Connect envelope of JSON");
      session::Record sb = sandbox_of(ctx, req);
      auto slot = std::make_shared<StreamSlot>(ctx);
      stream_process(ctx, req, res, fn(req, sb, *in), slot);
    } catch (const std::exception& e) {
      send_stream_error(res, rpc_code_for(e), message_for(e));
    }
  };
}

httplib::Server::Handler unary(Context& ctx, std::function<json(const session::Record&, const json&)> fn) {
  return [&ctx, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    try {
      json in = parse_body(req.body.empty() ? "{}" : req.body);
      send_json(res, fn(sandbox_of(ctx, req), in));
    } catch (const std::exception& e) {
      send_rpc_exception(res, e);
    }
  };
}

std::vector<std::string> strings(const json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace

void add_process_routes(httplib::Server& svr, Context& ctx) {
  const std::string p = std::string(kPrefix) + "/process.Process/";
  svr.Post(p + "Start", streaming(ctx, [&ctx](const httplib::Request& req, const session::Record& sb, const json& in) {
             if (in.contains("pty") && !in["pty"].is_null())
               throw agent::Failure("unimplemented", "terminals (pty) are not supported by orch");
             json proc = in.value("process", json::object());
             session::ProcessSpec spec;
             spec.cmd = proc.value("cmd", "");
             spec.args = strings(proc.value("args", json::array()));
             json envs = proc.value("envs", json::object());
             for (const auto& [k, v] : envs.items())
               if (v.is_string()) spec.env[k] = v.get<std::string>();
             spec.cwd = proc.value("cwd", "");
             spec.tag = in.value("tag", "");
             spec.stdin_open = in.value("stdin", false);
             spec.user = user_of(ctx, req);
             spec.timeout_ms = std::max<int64_t>(0, std::strtoll(req.get_header_value("Connect-Timeout-Ms").c_str(), nullptr, 10));
             return ctx.sessions->start_process(sb.id, spec);
           }));
  svr.Post(p + "Connect", streaming(ctx, [&ctx](const httplib::Request&, const session::Record& sb, const json& in) {
             return ctx.sessions->attach_process(sb.id, selected_pid(ctx, sb, in));
           }));
  svr.Post(p + "List", unary(ctx, [&ctx](const session::Record& sb, const json&) {
             json arr = json::array();
             for (const auto& pr : ctx.sessions->list_processes(sb.id)) {
               json item = {{"config", {{"cmd", pr.cmd}, {"args", pr.args}, {"envs", pr.env}, {"cwd", pr.cwd}}}, {"pid", pr.pid}};
               if (!pr.tag.empty()) item["tag"] = pr.tag;
               arr.push_back(item);
             }
             return json{{"processes", arr}};
           }));
  svr.Post(p + "SendSignal", unary(ctx, [&ctx](const session::Record& sb, const json& in) {
             json s = in.value("signal", json("SIGNAL_SIGKILL"));
             int sig = s.is_number() ? s.get<int>() : s == "SIGNAL_SIGTERM" ? SIGTERM : SIGKILL;
             if (sig != SIGKILL && sig != SIGTERM) throw Error(ErrorKind::BadInput, "only SIGNAL_SIGKILL and SIGNAL_SIGTERM can be sent");
             ctx.sessions->signal_process(sb.id, selected_pid(ctx, sb, in), sig);
             return json::object();
           }));
  svr.Post(p + "SendInput", unary(ctx, [&ctx](const session::Record& sb, const json& in) {
             json input = in.value("input", json::object());
             if (input.contains("pty")) throw agent::Failure("unimplemented", "terminals (pty) are not supported by orch");
             auto data = base64_decode(input.value("stdin", ""));
             if (!data) throw Error(ErrorKind::BadInput, "field 'input.stdin' is not base64");
             ctx.sessions->send_stdin(sb.id, selected_pid(ctx, sb, in), *data);
             return json::object();
           }));
  svr.Post(p + "CloseStdin", unary(ctx, [&ctx](const session::Record& sb, const json& in) {
             ctx.sessions->close_stdin(sb.id, selected_pid(ctx, sb, in));
             return json::object();
           }));
  for (const char* m : {"Update", "StreamInput"}) {
    svr.Post(p + m, [](const httplib::Request&, httplib::Response& res) {
      send_json(res, {{"code", "unimplemented"}, {"message", "terminals (pty) and streamed input are not supported by orch"}}, 501);
    });
  }
}

}  // namespace orch::server::e2b
