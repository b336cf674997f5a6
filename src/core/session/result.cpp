#include "core/session/result.hpp"

#include "core/sandbox/result_json.hpp"
#include "core/util/base64.hpp"

namespace orch::session {

using nlohmann::json;

namespace {
constexpr std::pair<ExecStatus, const char*> kStatusNames[] = {{ExecStatus::Ok, "ok"},
                                                               {ExecStatus::Error, "error"},
                                                               {ExecStatus::Timeout, "timeout"},
                                                               {ExecStatus::Crashed, "crashed"},
                                                               {ExecStatus::Cancelled, "cancelled"}};
}  // namespace

const char* status_name(ExecStatus s) {
  for (const auto& [status, name] : kStatusNames)
    if (status == s) return name;
  return "error";
}

std::optional<ExecStatus> parse_exec_status(const std::string& word) {
  for (const auto& [status, name] : kStatusNames)
    if (word == name) return status;
  return std::nullopt;
}

bool is_binary_mime(const std::string& mime) {
  return mime.rfind("image/", 0) == 0 && mime != "image/svg+xml";
}

namespace {

std::string extension_for(const std::string& mime) {
  if (mime == "image/png") return ".png";
  if (mime == "image/jpeg") return ".jpg";
  if (mime == "image/gif") return ".gif";
  if (mime == "image/svg+xml") return ".svg";
  return ".bin";
}

bool safe_artifact_name(const std::string& n) {
  if (n.empty() || n.size() > 100 || n[0] == '.') return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

}  // namespace

void ResultBuilder::add_display(const json& j) {
  if (!j.is_object() || !j.contains("data") || !j["data"].is_object()) return;
  Display d;
  d.main = j.value("main", false);
  size_t size = 0;
  for (const auto& [mime, v] : j["data"].items()) {
    if (!v.is_string()) continue;
    std::string value = v.get<std::string>();
    if (is_binary_mime(mime)) {
      auto bytes = base64_decode(value);
      if (!bytes) continue;
      value = std::move(*bytes);
    }
    size += value.size();
    d.data[mime] = std::move(value);
  }
  if (display_bytes_ + size > display_cap_) {
    auto kept = err_.append("orch: a display output was dropped (over the size limit)\n");
    if (!kept.empty()) obs_.on_output(true, kept);
    return;
  }
  display_bytes_ += size;
  std::string hint = j.value("name", "");
  for (const auto& [mime, value] : d.data) {
    if (!is_binary_mime(mime)) continue;
    std::string name = safe_artifact_name(hint) ? hint : "";
    bool taken = false;
    for (const auto& a : r_.artifacts) taken = taken || a.name == name;
    if (name.empty() || taken) name = "output-" + std::to_string(r_.artifacts.size() + 1) + extension_for(mime);
    r_.artifacts.push_back(Artifact{name, mime, value});
  }
  obs_.on_display(d);
  r_.displays.push_back(std::move(d));
}

void ResultBuilder::on_frame(Frame&& f) {
  if (f.type == "out" || f.type == "err") {
    bool is_err = f.type == "err";
    auto kept = (is_err ? err_ : out_).append(f.payload);
    if (stream_all_) obs_.on_output(is_err, f.payload);
    else if (!kept.empty()) obs_.on_output(is_err, kept);
    return;
  }
  json j = json::parse(f.payload, nullptr, false);
  if (j.is_discarded()) return;  // a kernel bug must not take the host down; the frame is skipped
  try {
    on_json_frame(f.type, j);
  } catch (const json::exception&) {
    // wrong field types from a misbehaving kernel: skipped like unparsable JSON
  }
}

void ResultBuilder::on_json_frame(const std::string& type, const json& j) {
  if (type == "display") {
    add_display(j);
  } else if (type == "error" && j.is_object()) {
    r_.error = ExecError{j.value("name", ""), j.value("value", ""), j.value("traceback", "")};
  } else if (type == "done" && j.is_object()) {
    done_ = true;
    r_.status = j.value("status", "ok") == "ok" ? ExecStatus::Ok : ExecStatus::Error;
    r_.exit_code = j.value("exit_code", 0);
    r_.execution_count = j.value("execution_count", int64_t{0});
    if (j.value("state_lost", false)) r_.state_lost = true;
  }
}

void ResultBuilder::finish() {
  r_.stdout_data = std::move(out_.data);
  r_.stderr_data = std::move(err_.data);
  r_.stdout_truncated = out_.truncated;
  r_.stderr_truncated = err_.truncated;
}

namespace {

// One document for both renderers (JsonTree, JsonStream): output and file bytes may be large.
template <class W>
void emit_result(W& w, const ExecResult& r, bool include_artifact_data) {
  w.begin_object();
  json_field(w, "session_id", r.session_id);
  json_field(w, "language", r.language);
  json_field(w, "status", status_name(r.status));
  json_field(w, "exit_code", r.exit_code);
  json_field(w, "stdout_truncated", r.stdout_truncated);
  json_field(w, "stderr_truncated", r.stderr_truncated);
  json err = nullptr;
  if (r.error) err = {{"name", r.error->name}, {"value", r.error->value}, {"traceback", r.error->traceback}};
  json_field(w, "error", std::move(err));
  json_field(w, "state_lost", r.state_lost);
  json_field(w, "execution_count", r.execution_count);
  json_field(w, "duration_ms", r.duration_ms);
  w.key("displays");
  w.begin_array();
  for (const auto& d : r.displays) {
    w.begin_object();
    w.key("data");
    w.begin_object();
    for (const auto& [mime, v] : d.data) {
      w.key(mime);
      if (is_binary_mime(mime)) w.base64(v);
      else w.text(v);
    }
    w.end();
    json_field(w, "main", d.main);
    w.end();
  }
  w.end();
  w.key("artifacts");
  w.begin_array();
  for (const auto& a : r.artifacts) {
    w.begin_object();
    json_field(w, "name", a.name);
    json_field(w, "mime", a.mime);
    sandbox::emit_file_bytes(w, a.data, include_artifact_data);
    w.end();
  }
  w.end();
  sandbox::emit_output(w, r.stdout_data, r.stderr_data);
  w.end();
}

}  // namespace

json to_json(const ExecResult& r, bool include_artifact_data) {
  JsonTree t;
  emit_result(t, r, include_artifact_data);
  return t.take();
}

void write_json(JsonStream& out, const ExecResult& r, bool include_artifact_data) { emit_result(out, r, include_artifact_data); }

}  // namespace orch::session
