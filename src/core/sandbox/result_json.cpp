// The JSON document of a run's result, written once for both renderers: a tree for small results
// and callers that edit it, a stream for the server's answers, whose output may be large.
#include "core/sandbox/result_json.hpp"
#include "core/util/json_writer.hpp"

namespace orch::sandbox {

namespace {

template <class W>
void emit_result(W& w, const RunResult& r, bool include_artifact_data) {
  w.begin_object();
  json_field(w, "run_id", r.run_id);
  json_field(w, "status", status_name(r.status));
  json_field(w, "exit_code", exit_code_for(r));
  json_field(w, "stdout_truncated", r.stdout_truncated);
  json_field(w, "stderr_truncated", r.stderr_truncated);
  json_field(w, "duration_ms", r.duration_ms);
  json_field(w, "artifacts_truncated", r.artifacts_truncated);
  w.key("artifacts");
  w.begin_array();
  for (const auto& a : r.artifacts) {
    w.begin_object();
    json_field(w, "path", a.path);
    emit_file_bytes(w, a.data, include_artifact_data);
    if (!a.mime.empty()) json_field(w, "mime", a.mime);
    w.end();
  }
  w.end();
  w.key("artifacts_skipped");
  w.begin_array();
  for (const auto& a : r.artifacts_skipped) w.value(nlohmann::json{{"path", a.path}, {"reason", a.reason}});
  w.end();
  emit_output(w, r.stdout_data, r.stderr_data);
  w.end();
}

}  // namespace

nlohmann::json to_json(const RunResult& r, bool include_artifact_data) {
  JsonTree t;
  emit_result(t, r, include_artifact_data);
  return t.take();
}

void write_json(JsonStream& out, const RunResult& r, bool include_artifact_data) { emit_result(out, r, include_artifact_data); }

}  // namespace orch::sandbox
