#include "core/agent/wire.hpp"

namespace orch::agent {

using nlohmann::json;

std::string encode(std::string_view type, const json& head, std::string_view body) {
  std::string payload = head.dump(-1, ' ', false, json::error_handler_t::replace);
  if (!body.empty()) {
    payload += '\n';
    payload.append(body);
  }
  return session::encode_frame(type, payload);
}

Message decode(session::Frame&& f) {
  Message m;
  m.type = std::move(f.type);
  size_t nl = f.payload.find('\n');
  std::string_view head = std::string_view(f.payload).substr(0, nl);
  m.head = json::parse(head, nullptr, false);
  if (!m.head.is_object()) throw Error(ErrorKind::Infrastructure, "the sandbox agent sent a malformed '" + m.type + "' message");
  if (nl != std::string::npos) m.body = f.payload.substr(nl + 1);
  return m;
}

Failure::Failure(std::string code, const std::string& message) : Error(kind_for_code(code), message), code_(std::move(code)) {}

ErrorKind kind_for_code(const std::string& code) {
  if (code == "not_found") return ErrorKind::NotFound;
  if (code == "already_exists") return ErrorKind::Conflict;
  if (code == "invalid_argument" || code == "permission_denied") return ErrorKind::BadInput;
  if (code == "resource_exhausted") return ErrorKind::Busy;
  if (code == "deadline_exceeded") return ErrorKind::Timeout;
  if (code == "unavailable") return ErrorKind::Unavailable;
  return ErrorKind::Infrastructure;
}

}  // namespace orch::agent
