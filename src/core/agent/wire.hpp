#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/session/protocol.hpp"

namespace orch::agent {

// The agent speaks the kernels' frame format (session/protocol.hpp) on its stdin and stdout. A
// frame's payload is one line of JSON (the head), then, for messages that carry bytes (file data,
// process output, stdin), a newline and the raw bytes.
//
// Requests (host -> agent) carry "id"; the agent answers each with "ok" or "fail" of the same id.
// Events (agent -> host): "hello" once at start, "out" (pid, fd + bytes) and "exit" per process.
inline constexpr int kProtocolVersion = 1;

struct Message {
  std::string type;
  nlohmann::json head;
  std::string body;
};

std::string encode(std::string_view type, const nlohmann::json& head, std::string_view body = {});
// Throws orch::Error(Infrastructure) when the head is not a JSON object.
Message decode(session::Frame&& f);

// A refusal with the code the agent sent: not_found, already_exists, permission_denied,
// invalid_argument, resource_exhausted, deadline_exceeded, unavailable, internal.
class Failure : public Error {
 public:
  Failure(std::string code, const std::string& message);
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// The ErrorKind for an agent code, for callers that only know orch::Error.
ErrorKind kind_for_code(const std::string& code);

}  // namespace orch::agent
