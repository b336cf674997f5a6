#pragma once
#include <string>
#include <utility>

#include "core/sandbox/run.hpp"
#include "core/util/json_writer.hpp"

namespace orch::sandbox {

// Output in JSON results: the text fields carry U+FFFD for bytes that are not UTF-8, so
// "stdout_binary"/"stderr_binary" say so and "stdout_base64"/"stderr_base64" carry the exact bytes.
// W is a JsonTree or a JsonStream (core/util/json_writer.hpp).
template <class W>
void emit_exact_output(W& w, const std::string& stdout_data, const std::string& stderr_data) {
  for (auto [name, data] : {std::pair{"stdout", &stdout_data}, std::pair{"stderr", &stderr_data}}) {
    bool binary = !valid_utf8(*data);
    w.key(std::string(name) + "_binary");
    w.value(binary);
    if (!binary) continue;
    w.key(std::string(name) + "_base64");
    w.base64(*data);
  }
}

// "stdout" and "stderr" as text, then the exact-output fields above.
template <class W>
void emit_output(W& w, const std::string& stdout_data, const std::string& stderr_data) {
  json_text(w, "stdout", stdout_data);
  json_text(w, "stderr", stderr_data);
  emit_exact_output(w, stdout_data, stderr_data);
}

// A file's "size", and its bytes as "content_base64" when asked for.
template <class W>
void emit_file_bytes(W& w, const std::string& data, bool include_data) {
  json_field(w, "size", data.size());
  if (!include_data) return;
  w.key("content_base64");
  w.base64(data);
}

}  // namespace orch::sandbox
