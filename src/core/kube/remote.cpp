#include "core/kube/remote.hpp"

#include <cstdlib>

#include "core/error.hpp"

namespace orch::kube {

using nlohmann::json;

namespace {
// Below the API server's read buffer, so one write never has to be split by the server.
constexpr size_t kMaxStdinFrame = 32 * 1024;
}  // namespace

std::optional<int> exit_code_from_status(const json& status, std::string& failure) {
  if (!status.is_object()) {
    failure = "the server sent an unreadable exec status";
    return std::nullopt;
  }
  if (status.value("status", "") == "Success") return 0;
  if (status.value("reason", "") == "NonZeroExitCode" && status.contains("details")) {
    const json& details = status["details"];
    if (details.is_object() && details.contains("causes") && details["causes"].is_array())
      for (const auto& c : details["causes"])
        if (c.is_object() && c.value("reason", "") == "ExitCode") {
          std::string digits = c.value("message", "");
          char* end = nullptr;
          long v = std::strtol(digits.c_str(), &end, 10);
          if (!digits.empty() && end && *end == '\0') return static_cast<int>(v);
        }
  }
  failure = status.value("message", "the command failed");
  return std::nullopt;
}

RemoteStream::~RemoteStream() { ws_->close(); }

void RemoteStream::write_stdin(std::string_view data) {
  while (!data.empty()) {
    std::string_view part = data.substr(0, kMaxStdinFrame);
    std::string msg(1, static_cast<char>(Stdin));
    msg.append(part);
    ws_->send(WebSocket::Binary, msg);
    data.remove_prefix(part.size());
  }
}

bool RemoteStream::close_stdin() {
  if (!can_close_stdin()) return false;
  ws_->send(WebSocket::Binary, std::string{static_cast<char>(CloseChannel), static_cast<char>(Stdin)});
  return true;
}

void RemoteStream::resize(int columns, int rows) {
  std::string msg(1, static_cast<char>(Resize));
  msg += json{{"Width", columns}, {"Height", rows}}.dump();
  ws_->send(WebSocket::Binary, msg);
}

std::optional<RemoteStream::Chunk> RemoteStream::next(Clock::time_point deadline) {
  for (;;) {
    auto msg = ws_->receive(deadline);
    if (!msg) return std::nullopt;
    if (msg->data.empty()) continue;
    auto channel = static_cast<Channel>(static_cast<unsigned char>(msg->data[0]));
    std::string payload = msg->data.substr(1);
    if (channel == Status) {
      json status = json::parse(payload, nullptr, false);
      exit_code_ = exit_code_from_status(status, failure_);
      continue;
    }
    // The server opens each channel with an empty message.
    if ((channel == Stdout || channel == Stderr) && !payload.empty()) return Chunk{channel, std::move(payload)};
  }
}

}  // namespace orch::kube
