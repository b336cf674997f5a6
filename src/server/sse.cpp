#include "server/sse.hpp"

#include "core/util/base64.hpp"

namespace orch::server {

using nlohmann::json;

bool wants_sse(const httplib::Request& req) { return req.get_header_value("Accept").find("text/event-stream") != std::string::npos; }

std::string sse_event(const std::string& event, const json& data) {
  return "event: " + event + "\ndata: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

void SseObserver::on_output(bool is_stderr, std::string_view d) {
  json ev = {{"data", std::string(d)}};
  // A chunk may cut a character in two or hold bytes that are not UTF-8: send its exact bytes too.
  if (!sandbox::valid_utf8(d)) ev["data_base64"] = base64_encode(d);
  write(sse_event(is_stderr ? "stderr" : "stdout", ev));
}

bool SseObserver::cancelled() {
  auto now = std::chrono::steady_clock::now();
  if (now - last_ > std::chrono::seconds(2)) {
    write(": keep-alive\n\n");
    last_ = now;
  }
  return gone_;
}

bool SseObserver::write(std::string_view s) {
  if (!gone_ && !sink_.write(s.data(), s.size())) gone_ = true;
  return !gone_;
}

}  // namespace orch::server
