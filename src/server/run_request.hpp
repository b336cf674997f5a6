#pragma once
#include <nlohmann/json.hpp>

#include "core/sandbox/run.hpp"

namespace orch::server {

// Reads the fields of POST /v1/run (the same as `orch run --json` takes) into RunOptions:
// language, template, code, files[{name|path, content, encoding: utf8|base64|hex}], stdin, args,
// env {K: V}, timeout (s), memory, cpus, pids, network, out (bool: return /workspace/out files).
sandbox::RunOptions parse_run_request(const nlohmann::json& body);

// Decodes one file's content by its encoding; BadInput naming the file on bad data.
std::string decode_content(const std::string& content, const std::string& encoding, const std::string& name);

// One file object {name|path, content, encoding} into a FileInput.
sandbox::FileInput parse_file(const nlohmann::json& f, size_t index);

}  // namespace orch::server
