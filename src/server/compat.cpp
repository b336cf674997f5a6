#include "server/compat.hpp"

#include "core/sandbox/limits.hpp"
#include "core/util/base64.hpp"
#include "core/util/json_writer.hpp"
#include "server/body.hpp"

namespace orch::server {

using nlohmann::json;

json compat_result(const sandbox::RunResult& r) {
  return {{"success", r.status == sandbox::RunStatus::Ok},
          {"exit_code", sandbox::exit_code_for(r)},
          {"execution_time", static_cast<double>(r.duration_ms) / 1000.0},
          {"timed_out", r.status == sandbox::RunStatus::Timeout},
          {"run_id", r.run_id},
          {"run_status", sandbox::status_name(r.status)}};
}

json typed_artifacts(const std::vector<sandbox::Artifact>& artifacts) {
  json out = json::array();
  int plots = 0;
  for (const auto& a : artifacts) {
    bool figure = !a.mime.empty();
    out.push_back({{"type", figure ? a.mime : "application/octet-stream"},
                   {"name", figure ? "plot_" + std::to_string(plots++) : a.path},
                   {"content", base64_encode(a.data)}});
  }
  return out;
}

CompatRun run_compat(Context& ctx, const httplib::Request& req, sandbox::RunOptions opts, json meta) {
  const Tenant& tenant = current_tenant();
  apply_caps(ctx, tenant, opts);
  auto prepared = std::make_shared<PreparedRun>(prepare_run(ctx, tenant, opts));
  auto record = register_run(ctx, *prepared, "run", std::move(meta));
  record->answered_in_place();
  RecordingObserver observer(record, ctx.cancel_all, nullptr, req.is_connection_closed);
  auto result = execute_recorded(ctx, *prepared, *record, observer);
  return CompatRun{std::move(result), prepared, prepared->plan.timeout_s};
}

void send_compat(httplib::Response& res, const CompatRun& run, json fields) {
  send_document(res, payload_size(*run.result), [run, fields = std::move(fields)](JsonStream& w) {
    w.begin_object();
    json_fields(w, fields);
    json_text(w, "stdout", run.result->stdout_data);
    json_text(w, "stderr", run.result->stderr_data);
    w.end();
  });
}

std::optional<int64_t> memory_mb_bytes(const json& resource_limits) {
  auto mb = opt_int(resource_limits, "memory_mb");
  if (!mb) return std::nullopt;
  constexpr int64_t lo = sandbox::kMinMemory >> 20, hi = sandbox::kMaxMemory >> 20;
  if (*mb < lo || *mb > hi)
    throw Error::bad_field("resource_limits.memory_mb", "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return *mb << 20;
}

std::string label_value(const json& body, const char* field) {
  std::string v = opt_string(body, field).value_or("");
  if (v.size() > 256 || v.find('\0') != std::string::npos)
    throw Error(ErrorKind::BadInput, std::string("field '") + field + "' must be at most 256 bytes without NUL");
  return v;
}

}  // namespace orch::server
