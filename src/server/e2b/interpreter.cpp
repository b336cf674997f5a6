// E2B's code interpreter (port 49999): /execute streams one execution as NDJSON lines through the
// session's kernels (the same ones `orch session exec` uses); /contexts are more kernels.
#include <ctime>

#include "core/util/base64.hpp"
#include "server/body.hpp"
#include "server/e2b/connect.hpp"
#include "server/e2b/e2b.hpp"

namespace orch::server::e2b {

using nlohmann::json;

namespace {

std::string now_iso() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return rfc3339(static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec);
}

// E2B's names for kernels' languages, both ways.
std::string e2b_language(const std::string& orch_lang) {
  if (orch_lang == "node" || orch_lang == "javascript" || orch_lang == "js") return "javascript";
  return orch_lang;
}

std::string orch_language(const std::string& e2b_lang) {
  if (e2b_lang == "javascript" || e2b_lang == "js") return "node";
  if (e2b_lang == "sh") return "bash";
  return e2b_lang;
}

// A Jupyter-style MIME bundle as E2B's result line: known types get their own keys, the rest "extra".
json result_line(const session::Display& d) {
  static const std::map<std::string, std::string> keys = {{"text/plain", "text"},        {"text/html", "html"},
                                                          {"text/markdown", "markdown"}, {"image/svg+xml", "svg"},
                                                          {"image/png", "png"},          {"image/jpeg", "jpeg"},
                                                          {"application/pdf", "pdf"},    {"text/latex", "latex"},
                                                          {"application/json", "json"},  {"application/javascript", "javascript"},
                                                          {"e2b/data", "data"},          {"e2b/chart", "chart"}};
  json line = {{"type", "result"}, {"extra", json::object()}, {"is_main_result", d.main}};
  for (const auto& [mime, value] : d.data) {
    auto k = keys.find(mime);
    std::string v = session::is_binary_mime(mime) ? base64_encode(value) : value;
    if (k == keys.end()) {
      line["extra"][mime] = v;
    } else if (k->second == "json" || k->second == "data" || k->second == "chart") {
      json parsed = json::parse(v, nullptr, false);
      line[k->second] = parsed.is_discarded() ? json(v) : parsed;
    } else if (k->second == "text" && v.size() >= 2 && (v.front() == '\'' || v.front() == '"') && v.back() == v.front()) {
      line["text"] = v.substr(1, v.size() - 2);
    } else {
      line[k->second] = v;
    }
  }
  return line;
}

class NdjsonObserver : public session::ExecObserver {
 public:
  NdjsonObserver(httplib::DataSink& sink, Context& ctx) : sink_(sink), ctx_(ctx) {}
  void on_output(bool is_stderr, std::string_view d) override {
    line({{"type", is_stderr ? "stderr" : "stdout"}, {"text", std::string(d)}, {"timestamp", now_iso()}});
  }
  void on_display(const session::Display& d) override { line(result_line(d)); }
  bool cancelled() override {
    if (!gone_ && !sink_.is_writable()) gone_ = true;
    return gone_ || ctx_.cancel_all;
  }
  void line(const json& j) {
    std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    if (!gone_ && !sink_.write(s.data(), s.size())) gone_ = true;
  }

 private:
  httplib::DataSink& sink_;
  Context& ctx_;
  bool gone_ = false;
};

httplib::Server::Handler interp(Context& ctx, bool needs_access_token,
                                std::function<void(const httplib::Request&, httplib::Response&, const session::Record&)> fn) {
  return [&ctx, needs_access_token, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    try {
      fn(req, res, sandbox_of(ctx, req, !needs_access_token));
    } catch (const std::exception& e) {
      int status = rest_status_for(e, true);
      res.status = status;
      res.set_content(message_for(e), "text/plain");
    }
  };
}

void execute(Context& ctx, const httplib::Request& req, httplib::Response& res, const session::Record& sb) {
  json b = parse_body(req.body);
  auto code = opt_string(b, "code");
  if (!code) throw Error(ErrorKind::BadInput, "field 'code' is required");
  std::string context = b.contains("context_id") && b["context_id"].is_string() ? b["context_id"].get<std::string>() : "";
  std::string language = b.contains("language") && b["language"].is_string() ? b["language"].get<std::string>() : "";
  if (!context.empty() && !language.empty()) throw Error(ErrorKind::BadInput, "give context_id or language, not both");
  // Checked before the stream starts, so they answer with a status the SDK maps (404, 400).
  if (!context.empty()) {
    auto all = ctx.sessions->list_contexts(sb.id);
    if (std::none_of(all.begin(), all.end(), [&](const auto& c) { return c.id == context; }))
      throw Error(ErrorKind::NotFound, "context '" + context + "' not found");
  }
  const auto* tmpl = ctx.store.find(sb.template_name);
  if (!language.empty() && tmpl && !tmpl->language(orch_language(language)))
    throw Error(ErrorKind::BadInput, "language '" + language + "' is not available in template '" + sb.template_name + "'");
  session::ExecRequest er;
  er.code = *code;
  er.language = orch_language(language);
  er.context = context;
  er.interrupt = true;
  er.output_cap = 1;  // every byte goes out as it comes (E2B sets no cap); next to none is held
  er.stream_all = true;
  const Tenant tenant = ctx.tokens.enabled() ? Tenant{sb.owner, {}, ""} : current_tenant();
  er.timeout_s = ctx.cfg.max_timeout_s;  // the client's own timeoutMs ends the call sooner; then the code is interrupted
  if (b.contains("env_vars") && b["env_vars"].is_object())
    for (const auto& [k, v] : b["env_vars"].items())
      if (v.is_string()) er.env[k] = v.get<std::string>();
  auto slot = std::make_shared<Slot>(acquire_slot(ctx, tenant));
  auto stream = std::make_shared<StreamSlot>(ctx);
  std::string id = sb.id;
  res.set_chunked_content_provider("application/json", [&ctx, id, er, slot, stream](size_t, httplib::DataSink& sink) {
    NdjsonObserver obs(sink, ctx);
    try {
      session::ExecResult r = ctx.sessions->exec(id, er, obs);
      if (r.error) obs.line({{"type", "error"}, {"name", r.error->name}, {"value", r.error->value}, {"traceback", r.error->traceback}});
      obs.line({{"type", "number_of_executions"}, {"execution_count", r.execution_count}});
    } catch (const std::exception& e) {
      obs.line({{"type", "error"}, {"name", "OrchError"}, {"value", e.what()}, {"traceback", ""}});
    }
    obs.line({{"type", "end_of_execution"}});
    sink.done();
    return true;
  });
}

json context_json(const session::CodeContext& c) { return {{"id", c.id}, {"language", e2b_language(c.language)}, {"cwd", c.cwd}}; }

}  // namespace

void add_interpreter_routes(httplib::Server& svr, Context& ctx) {
  const std::string p = kPrefix;
  svr.Post(p + "/execute", interp(ctx, true, [&ctx](const auto& req, auto& res, const auto& sb) { execute(ctx, req, res, sb); }));
  svr.Post(p + "/contexts", interp(ctx, false, [&ctx](const auto& req, auto& res, const auto& sb) {
             json b = parse_body(req.body.empty() ? "{}" : req.body);
             std::string lang = b.contains("language") && b["language"].is_string() ? b["language"].get<std::string>() : "python";
             std::string cwd = b.contains("cwd") && b["cwd"].is_string() ? b["cwd"].get<std::string>() : "";
             send_json(res, context_json(ctx.sessions->create_context(sb.id, orch_language(lang), cwd)));
           }));
  svr.Get(p + "/contexts", interp(ctx, false, [&ctx](const auto&, auto& res, const auto& sb) {
            json arr = json::array();
            for (const auto& c : ctx.sessions->list_contexts(sb.id)) arr.push_back(context_json(c));
            send_json(res, arr);
          }));
  svr.Post(p + R"(/contexts/([^/]+)/restart)", interp(ctx, false, [&ctx](const auto& req, auto& res, const auto& sb) {
             ctx.sessions->restart_context(sb.id, req.matches[1]);
             res.status = 204;
           }));
  svr.Delete(p + R"(/contexts/([^/]+))", interp(ctx, false, [&ctx](const auto& req, auto& res, const auto& sb) {
               ctx.sessions->remove_context(sb.id, req.matches[1]);
               res.status = 204;
             }));
}

}  // namespace orch::server::e2b
