#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/session/manager.hpp"

namespace orch::server::e2b {

// Connect RPC over HTTP/1.1 with the JSON codec, as E2B's SDKs speak it to envd: unary calls are
// plain JSON; server-streaming calls send one enveloped request and read envelopes (1 flag byte,
// 4-byte big-endian length, JSON) ending with one end-of-stream envelope (flag 0x02).

std::string envelope(const nlohmann::json& message, bool end_of_stream = false);
// The JSON of the first envelope of a streaming request body; nullopt when the body is not one.
std::optional<nlohmann::json> first_envelope(std::string_view body);
// The end-of-stream envelope: {} when code is empty, else {"error": {code, message}}.
std::string end_stream(const std::string& code = "", const std::string& message = "");

// Connect error code <-> HTTP status, and orch errors -> Connect codes.
int http_status_for_code(const std::string& code);
std::string code_for(const std::exception& e);

// proto3 JSON of filesystem.EntryInfo (Go-style mode bits and permission string, int64 as string).
nlohmann::json entry_json(const session::PathInfo& p);
// RFC 3339 in UTC with the fraction protobuf's Timestamp JSON uses.
std::string rfc3339(int64_t unix_ns);

}  // namespace orch::server::e2b
